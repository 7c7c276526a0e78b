/**
 * Types of the update gate: what DocSync asks before applying an incoming document update (write policies).
 * See PROTOCOL.md, "Write policies".
 */

/** Where an incoming update comes from, as told to an {@link UpdateGate}. */
export interface UpdateSource {
  /** Routed: the origin peer of the envelope (trustworthy once envelopes are signed); anti-entropy: the neighbour. */
  author: string;
  /** `routed`: a ROUTED update originated by `author`; `anti-entropy`: a sync step 2 (or direct update) from the neighbour `author`. */
  via: 'routed' | 'anti-entropy';
}

/**
 * A gate's decision on one update. `pending` (with `ok: false`) means "cannot be judged yet" (it builds on structs
 * this peer does not have): DocSync holds it and asks again after later updates, reporting it only if it is evicted.
 */
export type Verdict = { ok: true } | { ok: false; code: string; reason: string; pending?: boolean };

/** Decides, before anything touches the document, whether an incoming update is applied (and forwarded). */
export type UpdateGate = (update: Uint8Array, source: UpdateSource) => Verdict | Promise<Verdict>;

/** An {@link UpdateGate} plus what this peer sends in a sync step 2 (so an honest peer sends only what it may). */
export interface PolicyGate {
  /** The check on arrival. */
  check: UpdateGate;
  /** Encodes our sync step 2 for neighbour `to` given its state vector. Default: `Y.encodeStateAsUpdate(doc, stateVector)`. */
  encodeStep2?: (stateVector: Uint8Array, to: string) => Uint8Array;
}

/** An update the gate refused (reported once per author and code). */
export interface UpdateRejection {
  /** Who the gate was told wrote it (see {@link UpdateSource.author}). */
  author: string;
  /** The neighbour it arrived from. */
  from: string;
  via: UpdateSource['via'];
  code: string;
  reason: string;
}
