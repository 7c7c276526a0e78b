import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { decodeAwarenessMessage, encodeAwarenessMessage } from '../../src/protocol/awarenessMessages.js';
import { decodeSyncMessage, encodeSyncMessage } from '../../src/protocol/docSyncMessages.js';
import { MESSAGE_AWARENESS, MESSAGE_SYNC } from '../../src/protocol/messageTypes.js';

function update(): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello');
  return Y.encodeStateAsUpdate(doc);
}

describe('doc sync messages', () => {
  it('round-trips each kind', () => {
    const u = update();
    for (const kind of ['step2', 'update'] as const) {
      const decoded = decodeSyncMessage(encodeSyncMessage(kind, u));
      expect(decoded).toEqual({ ok: true, value: { kind, payload: u } });
    }
    const sv = Y.encodeStateVector(new Y.Doc());
    expect(decodeSyncMessage(encodeSyncMessage('step1', sv))).toEqual({ ok: true, value: { kind: 'step1', payload: sv } });
  });

  it('rejects hostile input with a reason', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.of(), /truncated/],
      [Uint8Array.of(MESSAGE_AWARENESS, 0, 0), /not a sync message/],
      [Uint8Array.of(MESSAGE_SYNC, 7, 0), /unknown sync message type 7/],
      [Uint8Array.of(MESSAGE_SYNC, 2, 5, 1), /truncated/],
      [Uint8Array.of(MESSAGE_SYNC, 2, 3, 1, 2, 3), /malformed update/],
      [Uint8Array.of(MESSAGE_SYNC, 0, 2, 9, 9), /malformed state vector/],
      [Uint8Array.of(...encodeSyncMessage('update', update()), 0), /trailing bytes/],
    ];
    for (const [bytes, reason] of cases) {
      const decoded = decodeSyncMessage(bytes);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    }
  });
});

describe('awareness messages', () => {
  it('round-trips an awareness update and lists its clients', () => {
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awareness.setLocalState({ name: 'Sam' });
    const u = awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID]);
    expect(decodeAwarenessMessage(encodeAwarenessMessage(u))).toEqual({ ok: true, value: { update: u, clients: [awareness.clientID] } });
    awareness.destroy();
  });

  it('rejects states that are not objects, bad JSON, trailing bytes and absurd counts', () => {
    const state = (json: string): Uint8Array => {
      const enc = new TextEncoder().encode(json);
      return Uint8Array.of(1, 5, 1, enc.length, ...enc);
    };
    const cases: Array<[Uint8Array, RegExp]> = [
      [encodeAwarenessMessage(state('[1]')), /not an object/],
      [encodeAwarenessMessage(state('{')), /not JSON/],
      [encodeAwarenessMessage(Uint8Array.of(...state('{}'), 0)), /trailing bytes/],
      [encodeAwarenessMessage(Uint8Array.of(0xff, 0xff, 0x01)), /too many clients/],
      [Uint8Array.of(MESSAGE_SYNC, 0), /not an awareness message/],
      [Uint8Array.of(MESSAGE_AWARENESS, 9), /truncated/],
    ];
    for (const [bytes, reason] of cases) {
      const decoded = decodeAwarenessMessage(bytes);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    }
  });
});
