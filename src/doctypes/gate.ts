/**
 * The update gate built from doc type policies: ownership of clientIDs first, then each touched doc type's policy.
 * A {@link DocumentSet} makes one with `documents.gate()`; the sync engine calls it before applying any update.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { PolicyGate, UpdateSource, Verdict } from '../sync/docSync.js';
import { claimsOf, CLIENT_CLAIMS, ownerInDoc, plainClaim, type ClaimVerifier } from './ownership.js';
import { ALLOW, deny, type DocPolicy, type PolicyContext, type PolicyVerdict, type TypeChange } from './policy.js';
import { viewUpdate, type DeletedStruct, type InsertedStruct } from './updateView.js';

/** An update the gate refused, as reported to apps (e.g. the teacher's UI naming the offender). */
export interface PolicyRejection {
  /** The peer the update was attributed to. */
  author: string;
  via: UpdateSource['via'];
  /** The doc type whose policy refused it (absent for ownership and claim checks). */
  docType?: string;
  code: Extract<Verdict, { ok: false }>['code'];
  reason: string;
}

/** What {@link createPolicyGate} needs. */
export interface PolicyGateOptions {
  doc: Y.Doc;
  /** This peer's id (for the step 2 it sends). */
  localPeerId: string;
  /** The policy of each doc type by name; read on every check, so types registered later count. */
  policyOf: (docType: string) => DocPolicy | undefined;
  /**
   * Whether a top-level name belongs to the class (a registered doc type or one the app polices itself). Writes under
   * any other name are refused (`unknown-type`): else they would be stored and forwarded by every peer unchecked.
   * Default: every name.
   */
  isKnownType?: (name: string) => boolean;
  context: PolicyContext;
  /** Checks claim values (the identity layer's signed hello plugs in here). Default: the value is the peer id. */
  verifyClaim?: ClaimVerifier;
  /** Called for every refused update (not for ones held for missing structs). */
  onRejected?: (rejection: PolicyRejection) => void;
}

/**
 * Structs of a clientID nobody claimed yet are held, not refused: the claim travels in the author's first update,
 * which may itself be held here for a missing dependency (a loaded peer sees the second update first). Held updates
 * are bounded per author, so a forger gains nothing by it.
 */
function unclaimed(client: number): Verdict {
  return { ok: false, code: 'unclaimed', reason: `structs of clientID ${client}, which nobody claimed (yet)`, pending: true };
}

/** Judges one update: ownership of every struct, claims, then the policies of the doc types it touches. */
export function judgeUpdate(options: PolicyGateOptions, update: Uint8Array, source: UpdateSource): Verdict & { docType?: string } {
  const { doc, context } = options;
  const verify = options.verifyClaim ?? plainClaim;
  let view;
  try {
    view = viewUpdate(doc, update);
  } catch (err) {
    return deny('invalid', `undecodable update: ${String(err)}`) as Verdict;
  }
  if (view.missingDependency) return { ok: false, code: 'missing-dependency', reason: 'builds on structs this peer does not have yet', pending: true };
  const claims = claimsOf(doc, view, verify);
  if (!claims.ok) return deny('invalid', claims.reason) as Verdict;
  const ownerOf = (client: number): string | undefined => claims.claims.get(client) ?? ownerInDoc(doc, client, verify);
  const { author } = source;
  const teacher = context.isTeacher(author);
  const written = [...view.inserts.map((i) => i.id.client), ...view.gcs.map((g) => g.id.client)];
  if (source.via === 'anti-entropy' && (teacher || context.isRelay?.(author) === true)) {
    // The teacher (and a keeper it trusts) checked everything it holds on arrival: its step 2 may carry anyone's content.
    for (const client of written) if (ownerOf(client) === undefined) return unclaimed(client);
    return ALLOW as Verdict;
  }
  for (const client of written) {
    const owner = ownerOf(client);
    if (owner === undefined) return unclaimed(client);
    if (owner !== author) return deny('not-owner', `structs of clientID ${client}, which another peer owns`) as Verdict;
  }
  if (!teacher) {
    for (const d of view.unknownDeletes) {
      if (ownerOf(d.client) !== author) return deny('not-owner', `deletes structs of clientID ${d.client} it does not own`) as Verdict;
    }
  }
  const byType = new Map<string, { inserts: InsertedStruct[]; deletes: DeletedStruct[] }>();
  const entry = (root: string): { inserts: InsertedStruct[]; deletes: DeletedStruct[] } => {
    let e = byType.get(root);
    if (e === undefined) byType.set(root, (e = { inserts: [], deletes: [] }));
    return e;
  };
  for (const i of view.inserts) if (i.place !== null) entry(i.place.root).inserts.push(i);
  for (const d of view.deletes) if (d.place !== null) entry(d.place.root).deletes.push(d);
  for (const [docType, part] of byType) {
    if (docType === CLIENT_CLAIMS) continue;
    if (options.isKnownType?.(docType) === false) return { ...deny('unknown-type', `writes under ${JSON.stringify(docType.slice(0, 80))}, which no doc type of the class owns`), docType };
    const policy = options.policyOf(docType);
    if (policy === undefined) continue;
    const change: TypeChange = { docType, author, teacher, inserts: part.inserts, deletes: part.deletes, doc, ownerOf };
    let verdict: PolicyVerdict;
    try {
      verdict = policy(change, context);
    } catch (err) {
      verdict = deny('invalid', `policy threw: ${String(err)}`);
    }
    if (!verdict.ok) return { ...verdict, docType };
  }
  return ALLOW as Verdict;
}

/**
 * The gate for a sync engine: {@link judgeUpdate} on arrival, and a sync step 2 that carries only what this peer may
 * send (a student: its own clientIDs' structs and deletions of its own items; the teacher: everything).
 */
export function createPolicyGate(options: PolicyGateOptions): PolicyGate {
  return {
    check: (update, source) => {
      const verdict = judgeUpdate(options, update, source);
      if (!verdict.ok && verdict.pending !== true) {
        const { code, reason } = verdict;
        try {
          options.onRejected?.({ author: source.author, via: source.via, code, reason, ...(verdict.docType !== undefined ? { docType: verdict.docType } : {}) });
        } catch {
          // A listener's bug must not break sync.
        }
      }
      return verdict.ok ? ALLOW as Verdict : verdict.pending === true ? verdict : { ok: false, code: verdict.code, reason: verdict.reason };
    },
    encodeStep2: (stateVector) => {
      const self = options.localPeerId;
      if (options.context.isTeacher(self) || options.context.isRelay?.(self) === true) return Y.encodeStateAsUpdate(options.doc, stateVector);
      const verify = options.verifyClaim ?? plainClaim;
      return encodeOwnStep2(options.doc, stateVector, (client) => ownerInDoc(options.doc, client, verify) === options.localPeerId);
    },
  };
}

type DsClients = Map<number, Array<{ clock: number; len: number }>>;

/** V1 encoding of a delete set, as Yjs writes it (clients in descending order). */
function encodeDeleteSet(clients: DsClients): Uint8Array {
  const e = encoding.createEncoder();
  const entries = [...clients.entries()].filter(([, items]) => items.length > 0).sort((a, b) => b[0] - a[0]);
  encoding.writeVarUint(e, entries.length);
  for (const [client, items] of entries) {
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, items.length);
    for (const item of items) {
      encoding.writeVarUint(e, item.clock);
      encoding.writeVarUint(e, item.len);
    }
  }
  return encoding.toUint8Array(e);
}

function encodeStateVector(clocks: Map<number, number>): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, clocks.size);
  for (const [client, clock] of clocks) {
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, clock);
  }
  return encoding.toUint8Array(e);
}

/**
 * Sync step 2 restricted to the clientIDs `own` accepts: their missing structs, and the deletions of their items.
 * Others' structs are left out by raising the state vector to ours for their clients (and, when Yjs merged pending
 * updates into the encoding, by a second diff); the delete set is re-encoded with only `own` clients.
 */
export function encodeOwnStep2(doc: Y.Doc, stateVector: Uint8Array, own: (clientId: number) => boolean): Uint8Array {
  const remote = Y.decodeStateVector(stateVector);
  const clocks = new Map(remote);
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) if (!own(client)) clocks.set(client, Math.max(clock, remote.get(client) ?? 0));
  let update = Y.encodeStateAsUpdate(doc, encodeStateVector(clocks));
  // Pending updates (structs waiting for a gap to fill) are merged in by Yjs whatever the state vector says.
  const foreign = [...Y.parseUpdateMeta(update).to].filter(([client]) => !own(client));
  if (foreign.length > 0) update = Y.diffUpdate(update, encodeStateVector(new Map([...clocks, ...foreign])));
  const ds = (Y.decodeUpdate(update).ds as unknown as { clients: DsClients }).clients;
  const full = encodeDeleteSet(ds);
  const tail = update.subarray(update.length - full.length);
  // The delete set is the encoding's tail; should it not be byte for byte what we expect, send it unfiltered (a
  // receiver may refuse others' deletions in it; the exchange is then retried).
  if (full.length > update.length || tail.some((b, i) => b !== full[i])) return update;
  const ownDs = encodeDeleteSet(new Map([...ds].filter(([client]) => own(client))));
  const out = new Uint8Array(update.length - full.length + ownDs.length);
  out.set(update.subarray(0, update.length - full.length));
  out.set(ownDs, update.length - full.length);
  return out;
}
