import type { ClientToRelayMessage, SignalingErrorCode } from '../src/protocol/signaling.js';
import type { RelayLimits } from './limits.js';

/** Why a client message was refused; `code` goes on the wire in the `error` reply. */
export interface Refusal { code: SignalingErrorCode; message: string }

export type Parsed = { ok: true; message: ClientToRelayMessage } | { ok: false; refusal: Refusal };

const refuse = (code: SignalingErrorCode, message: string): Parsed => ({ ok: false, refusal: { code, message } });

function validTopics(value: unknown, limits: RelayLimits): string[] | string {
  if (!Array.isArray(value)) return '"topics" must be an array of strings';
  if (value.length > limits.maxTopicsPerConnection) return `at most ${limits.maxTopicsPerConnection} topics per message`;
  for (const topic of value) {
    if (typeof topic !== 'string' || topic.length === 0) return '"topics" must be an array of non-empty strings';
    if (topic.length > limits.maxTopicLength) return `topic longer than ${limits.maxTopicLength} characters`;
  }
  return value as string[];
}

/**
 * Validates one text frame from a client at the relay's edge. Nothing a client sends can make this throw:
 * the result is either a well-typed message or a refusal with a machine-readable code.
 */
export function parseClientMessage(text: string, limits: RelayLimits): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('malformed', 'message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('malformed', 'message must be a JSON object');
  const record = value as Record<string, unknown>;
  switch (record.type) {
    case 'subscribe':
    case 'unsubscribe': {
      const topics = validTopics(record.topics, limits);
      if (typeof topics === 'string') return refuse('malformed', topics);
      if (record.type === 'unsubscribe') return { ok: true, message: { type: 'unsubscribe', topics } };
      if (record.token !== undefined && typeof record.token !== 'string') return refuse('malformed', '"token" must be a string');
      return { ok: true, message: record.token === undefined ? { type: 'subscribe', topics } : { type: 'subscribe', topics, token: record.token } };
    }
    case 'publish': {
      if (typeof record.topic !== 'string' || record.topic.length === 0) return refuse('malformed', '"topic" must be a non-empty string');
      if (record.topic.length > limits.maxTopicLength) return refuse('malformed', `topic longer than ${limits.maxTopicLength} characters`);
      return { ok: true, message: { type: 'publish', topic: record.topic, data: record.data } };
    }
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return refuse(typeof record.type === 'string' ? 'unknown-type' : 'malformed',
        typeof record.type === 'string' ? `unknown message type "${record.type.slice(0, 40)}"` : '"type" must be a string');
  }
}
