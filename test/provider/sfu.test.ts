// The provider exposes the SFU the relay assigned to its room (network.sfuUrl() and the 'sfu' event).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { assignSfu, startRelay, type Relay } from '../../signaling/index.js';
import { PeerclassProvider } from '../../src/index.js';
import { topicForRoom } from '../../src/transport/signalingCrypto.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

const relays: Relay[] = [];
const providers: PeerclassProvider[] = [];
afterEach(() => { for (const p of providers.splice(0)) p.destroy(); });
afterAll(async () => { await Promise.all(relays.map((r) => r.close())); });

async function relayWith(sfuServers: string[]): Promise<Relay> {
  const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, sfuServers });
  relays.push(relay);
  return relay;
}

function provider(room: string, signaling: string | string[]): { provider: PeerclassProvider; events: string[] } {
  const p = new PeerclassProvider(room, new Y.Doc(), { signaling, secret: 'class secret', rtc: nodeRtc, WebSocket: NodeWebSocket });
  providers.push(p);
  const events: string[] = [];
  p.on('sfu', (url) => events.push(url));
  return { provider: p, events };
}

describe('PeerclassProvider and the relay-assigned SFU', () => {
  it('records the SFU of its room from a real relay and emits sfu once', async () => {
    const servers = ['ws://janus-a.test:8188', 'ws://janus-b.test:8188', 'ws://janus-c.test:8188'];
    const relay = await relayWith(servers);
    const room = 'lecture-' + Math.random();
    const { provider: p, events } = provider(room, relay.url);
    expect(p.sfuUrl()).toBeNull();
    await waitUntil(() => events.length > 0, 'sfu event');
    const expected = assignSfu(await topicForRoom(room), servers);
    expect(events).toEqual([expected]);
    expect(p.sfuUrl()).toBe(expected);
    // A second relay process given the same list (in another order) answers the same: no second event.
    const twin = await relayWith([...servers].reverse());
    const both = provider(room, [relay.url, twin.url]);
    await waitUntil(() => both.events.length > 0, 'sfu event with two relays');
    await new Promise((r) => setTimeout(r, 300));
    expect(both.events).toEqual([expected]);
  });

  it('with several relays, the first relay in the signaling list decides', async () => {
    const first = await relayWith(['ws://first-relay-janus.test:8188']);
    const second = await relayWith(['ws://second-relay-janus.test:8188']);
    const { provider: p, events } = provider('lecture-' + Math.random(), [first.url, second.url]);
    await waitUntil(() => events.includes('ws://first-relay-janus.test:8188') && second.topicCount() === 1, 'both relays answered');
    expect(p.sfuUrl()).toBe('ws://first-relay-janus.test:8188');
    // The second relay restarts and answers again, later than the first: the first relay still decides.
    const port = second.port;
    await second.close();
    const restarted = await startRelay({ port, logLevel: 'silent', processMetrics: false, sfuServers: ['ws://second-relay-janus.test:8188'] });
    relays.push(restarted);
    await waitUntil(() => restarted.topicCount() === 1, 'the provider re-subscribed on the restarted relay');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.sfuUrl()).toBe('ws://first-relay-janus.test:8188');
    expect(events.at(-1)).toBe('ws://first-relay-janus.test:8188');
  });

  it('stays null with a relay that has no SFU servers', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    relays.push(relay);
    const { provider: p, events } = provider('lecture-' + Math.random(), relay.url);
    await waitUntil(() => p.status === 'connected', 'connected');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.sfuUrl()).toBeNull();
    expect(events).toEqual([]);
  });
});
