/**
 * Ownership of Yjs clientIDs: which peer wrote the structs of each clientID. Every peer records a claim
 * `clientID → peerId` in the reserved top-level map {@link CLIENT_CLAIMS} the first time it writes with a clientID
 * (in the same transaction, hence the same update). Gates accept a struct only from the peer that owns its clientID,
 * a claim only from that clientID itself, and never a second claim on a clientID. See PROTOCOL.md, "Write policies".
 *
 * A claim's value is the peer id today. The identity layer's signed hello will bind clientIDs to keys: plug its check
 * in as {@link ClaimVerifier} (a claim value may then carry a signature) without changing how owners are looked up.
 */
import * as Y from 'yjs';
import type { UpdateView } from './updateView.js';

/** Name of the reserved top-level Y.Map of clientID claims (`String(clientID)` → claim). */
export const CLIENT_CLAIMS = 'peerclass:clients';

/**
 * Checks a claim value found in an update and returns the peer id it binds the clientID to, or undefined when it is
 * not a valid claim. Default ({@link plainClaim}): a non-empty string of at most 256 characters is the peer id.
 */
export type ClaimVerifier = (clientId: number, value: unknown) => string | undefined;

/** The default {@link ClaimVerifier}: the value is the peer id itself. */
export const plainClaim: ClaimVerifier = (_clientId, value) => (typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined);

/** The peer that owns `clientId` in `doc`, if any peer claimed it. */
export function ownerInDoc(doc: Y.Doc, clientId: number, verify: ClaimVerifier = plainClaim): string | undefined {
  const claims = doc.share.get(CLIENT_CLAIMS);
  if (!(claims instanceof Y.AbstractType)) return undefined;
  const item = claims._map.get(String(clientId));
  if (item === undefined || item.deleted) return undefined;
  const c: unknown = item.content;
  return c instanceof Y.ContentAny ? verify(clientId, c.arr[c.arr.length - 1]) : undefined;
}

/** Claims an update makes, or why one of them is refused. */
export type ClaimsResult = { ok: true; claims: Map<number, string> } | { ok: false; reason: string };

/**
 * The claims written by an update, checked: each sits directly under its decimal clientID key, is written by that
 * very clientID (nobody claims for someone else), verifies, and claims a clientID nobody claimed before (in the doc
 * or earlier in the update). Deleting or overwriting a claim is refused.
 */
export function claimsOf(doc: Y.Doc, view: UpdateView, verify: ClaimVerifier = plainClaim): ClaimsResult {
  const claims = new Map<number, string>();
  for (const ins of view.inserts) {
    if (ins.place?.root !== CLIENT_CLAIMS) continue;
    const key = ins.place.key;
    if (ins.place.depth !== 0 || key === null || !/^\d{1,10}$/.test(key)) return { ok: false, reason: `malformed claim key ${String(key).slice(0, 20)}` };
    const clientId = Number(key);
    if (ins.id.client !== clientId) return { ok: false, reason: `clientID ${ins.id.client} claims clientID ${clientId}` };
    const peer = ins.kind === 'values' && ins.values.length === 1 ? verify(clientId, ins.values[0]) : undefined;
    if (peer === undefined) return { ok: false, reason: `claim of clientID ${clientId} does not verify` };
    const before = claims.get(clientId) ?? ownerInDoc(doc, clientId, verify);
    if (before !== undefined || (doc.share.get(CLIENT_CLAIMS) as Y.Map<unknown> | undefined)?._map.has(key) === true) {
      return { ok: false, reason: `clientID ${clientId} is already claimed${before !== undefined && before !== peer ? ' by another peer' : ''}` };
    }
    claims.set(clientId, peer);
  }
  for (const del of view.deletes) {
    if (del.place?.root === CLIENT_CLAIMS) return { ok: false, reason: 'a claim may not be deleted' };
  }
  return { ok: true, claims };
}

/**
 * Makes `doc` claim its clientID for `peerId` at the start of the first local transaction that needs it (so the
 * claim travels in the same update as the first struct). If another peer already claimed the current clientID, the
 * doc takes a fresh random one first. Returns a function that stops claiming.
 */
export function claimClientIds(doc: Y.Doc, peerId: string, verify: ClaimVerifier = plainClaim): () => void {
  const claims = doc.getMap<unknown>(CLIENT_CLAIMS);
  const onBefore = (tr: Y.Transaction): void => {
    if (!tr.local) return;
    for (let attempt = 0; attempt < 8; attempt++) {
      const owner = ownerInDoc(doc, doc.clientID, verify);
      if (owner === peerId) return;
      if (owner === undefined && !claims._map.has(String(doc.clientID))) break;
      doc.clientID = Math.floor(Math.random() * 0xffffffff) >>> 0;
    }
    claims.set(String(doc.clientID), peerId);
  };
  doc.on('beforeTransaction', onBefore);
  return () => doc.off('beforeTransaction', onBefore);
}
