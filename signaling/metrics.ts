import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The relay's Prometheus metrics, on a registry of its own so several relays can live in one process (tests). */
export class RelayMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'peerclass_relay_connections', help: 'Open ws connections', registers: [this.registry] });
  readonly topics = new Gauge({ name: 'peerclass_relay_topics', help: 'Topics with at least one local subscriber', registers: [this.registry] });
  readonly messagesIn = new Counter({ name: 'peerclass_relay_messages_in_total', help: 'Frames received from clients', registers: [this.registry] });
  readonly messagesOut = new Counter({ name: 'peerclass_relay_messages_out_total', help: 'Frames sent to clients', registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'peerclass_relay_bytes_in_total', help: 'Bytes received from clients', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'peerclass_relay_bytes_out_total', help: 'Bytes sent to clients', registers: [this.registry] });
  readonly rejections = new Counter({ name: 'peerclass_relay_rejections_total', help: 'Refused client messages and connections, by reason', labelNames: ['reason'] as const, registers: [this.registry] });

  constructor(withProcessMetrics: boolean) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
