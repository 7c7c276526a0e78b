import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { importTeacherPublicKey, signBytes, verifyBytes } from './identity.js';
import type { TeacherIdentity } from './identity.js';

/** The body of each kind of teacher control statement. */
export interface ControlBodies {
  /** Who is on stage (null: nobody). */
  stage: { peerId: string | null };
  /** The current slide, and whether students' views follow it. */
  slide: { slideIndex: number; follow: boolean };
  /** Whether students may draw on the board. */
  'board-lock': { locked: boolean };
  /** Ask one peer (or everyone) to mute or unmute. */
  'mute-request': { peerId: string; muted: boolean };
  /** Remove a student from the class: every peer disconnects it. */
  remove: { peerId: string };
  /**
   * Admit a participant (its peer id derives from its key, so this admits the key) or deny its knock. The roster of
   * admitted participants, with the names peers show for them, is the set of these statements.
   */
  admit: { peerId: string; name: string; admitted: boolean };
  /** `'open'`: anyone with the link takes part unless removed or denied. `'lobby'`: only admitted participants. */
  admission: { mode: 'open' | 'lobby' };
  /**
   * Trust a participant (a keeper) to relay others' content by anti-entropy, as the teacher does: it checked what it
   * holds on arrival. It gets no teacher powers.
   */
  keeper: { peerId: string; trusted: boolean };
  /** Close the class. */
  'end-class': Record<string, never>;
}

/** A kind of control statement. */
export type ControlKind = keyof ControlBodies;

/** All control kinds, in a fixed order. */
export const CONTROL_KINDS: readonly ControlKind[] = ['stage', 'slide', 'board-lock', 'mute-request', 'remove', 'admit', 'admission', 'keeper', 'end-class'];

/** A teacher control statement: what gets signed. */
export interface ControlStatement<K extends ControlKind = ControlKind> {
  kind: K;
  /** The class it applies to; a statement for another class is rejected. */
  classId: string;
  /** Monotonic per kind (per slot, see {@link controlSlot}); a lower or equal seq than the one held is a replay. */
  seq: number;
  /** Milliseconds since the epoch when the teacher issued it. Informational. */
  issuedAt: number;
  body: ControlBodies[K];
}

/** Any statement, narrowed by `kind`. */
export type AnyControlStatement = { [K in ControlKind]: ControlStatement<K> }[ControlKind];

/** A signed statement: the exact canonical bytes that were signed, and the signature over them. */
export interface SignedControl {
  /** Canonical UTF-8 JSON of the statement (sorted keys, no whitespace). */
  payload: Uint8Array;
  /** ECDSA P-256 / SHA-256 signature (IEEE P1363, 64 bytes). */
  signature: Uint8Array;
}

/** Why a signed statement was not applied. */
export type ControlRejectionReason = 'bad-signature' | 'wrong-class' | 'malformed' | 'replay';

/** The outcome of {@link verifyControl}. */
export type ControlVerification =
  | { ok: true; statement: AnyControlStatement; signed: SignedControl }
  | { ok: false; reason: ControlRejectionReason; detail: string };

/** Version byte of the binary container from {@link encodeSignedControl}. */
const CONTAINER_VERSION = 1;
const MAX_ID_LENGTH = 256;
const MAX_NAME_LENGTH = 200;

/** Deterministic JSON: object keys sorted, no whitespace, only finite numbers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
}

/** The canonical bytes of a statement: what {@link signControl} signs. */
export function encodeControlStatement(statement: ControlStatement): Uint8Array {
  return new TextEncoder().encode(canonicalJson(statement));
}

/**
 * Where a statement lives in the replicated control map. One slot per kind, except `remove`, `admit` and
 * `mute-request`, which have one slot per target peer (and `mute-request:all`) so that removing a second
 * student does not un-remove the first.
 */
export function controlSlot(statement: { kind: ControlKind; body: object }): string {
  if (statement.kind === 'remove' || statement.kind === 'mute-request' || statement.kind === 'admit' || statement.kind === 'keeper') {
    return `${statement.kind}:${String((statement.body as { peerId?: unknown }).peerId)}`;
  }
  return statement.kind;
}

/** Binary container for the wire and for the Y.Map: varUint version, varUint8Array payload, varUint8Array signature. */
export function encodeSignedControl(signed: SignedControl): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, CONTAINER_VERSION);
  encoding.writeVarUint8Array(enc, signed.payload);
  encoding.writeVarUint8Array(enc, signed.signature);
  return encoding.toUint8Array(enc);
}

/** Inverse of {@link encodeSignedControl}; null if the bytes are not a well-formed container. */
export function decodeSignedControl(bytes: Uint8Array): SignedControl | null {
  try {
    const dec = decoding.createDecoder(bytes);
    if (decoding.readVarUint(dec) !== CONTAINER_VERSION) return null;
    const payload = decoding.readVarUint8Array(dec);
    const signature = decoding.readVarUint8Array(dec);
    if (decoding.hasContent(dec)) return null;
    return { payload, signature };
  } catch {
    return null;
  }
}

/** Signs a statement with the teacher identity. */
export async function signControl(identity: Pick<TeacherIdentity, 'privateKey'>, statement: ControlStatement): Promise<SignedControl> {
  const problem = statementProblem(statement);
  if (problem) throw new TypeError(`signControl: ${problem}`);
  const payload = encodeControlStatement(statement);
  return { payload, signature: await signBytes(identity.privateKey, payload) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function hasExactKeys(v: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(v);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(v, k));
}
function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
}

/** Describes what is wrong with a statement's shape, or returns null if it is well-formed. */
function statementProblem(s: unknown): string | null {
  if (!isRecord(s) || !hasExactKeys(s, ['kind', 'classId', 'seq', 'issuedAt', 'body'])) {
    return 'statement must have exactly kind, classId, seq, issuedAt, body';
  }
  if (!isId(s.classId)) return 'classId must be a non-empty string';
  if (!Number.isSafeInteger(s.seq) || (s.seq as number) < 0) return 'seq must be a non-negative safe integer';
  if (!Number.isSafeInteger(s.issuedAt) || (s.issuedAt as number) < 0) return 'issuedAt must be a non-negative safe integer';
  const b = s.body;
  if (!isRecord(b)) return 'body must be an object';
  switch (s.kind) {
    case 'stage':
      return hasExactKeys(b, ['peerId']) && (b.peerId === null || isId(b.peerId)) ? null : 'stage body is {peerId: string|null}';
    case 'slide':
      return hasExactKeys(b, ['slideIndex', 'follow']) &&
        Number.isSafeInteger(b.slideIndex) &&
        (b.slideIndex as number) >= 0 &&
        typeof b.follow === 'boolean'
        ? null
        : 'slide body is {slideIndex: non-negative integer, follow: boolean}';
    case 'board-lock':
      return hasExactKeys(b, ['locked']) && typeof b.locked === 'boolean' ? null : 'board-lock body is {locked: boolean}';
    case 'mute-request':
      return hasExactKeys(b, ['peerId', 'muted']) && isId(b.peerId) && typeof b.muted === 'boolean'
        ? null
        : "mute-request body is {peerId: string|'all', muted: boolean}";
    case 'remove':
      return hasExactKeys(b, ['peerId']) && isId(b.peerId) ? null : 'remove body is {peerId: string}';
    case 'admit':
      return hasExactKeys(b, ['peerId', 'name', 'admitted']) && isId(b.peerId) && typeof b.name === 'string' &&
        b.name.length <= MAX_NAME_LENGTH && typeof b.admitted === 'boolean'
        ? null
        : 'admit body is {peerId: string, name: string (≤ 200), admitted: boolean}';
    case 'admission':
      return hasExactKeys(b, ['mode']) && (b.mode === 'open' || b.mode === 'lobby') ? null : "admission body is {mode: 'open'|'lobby'}";
    case 'keeper':
      return hasExactKeys(b, ['peerId', 'trusted']) && isId(b.peerId) && typeof b.trusted === 'boolean' ? null : 'keeper body is {peerId: string, trusted: boolean}';
    case 'end-class':
      return hasExactKeys(b, []) ? null : 'end-class body is {}';
    default:
      return `unknown kind ${JSON.stringify(s.kind)}`;
  }
}

/**
 * The statement inside signed bytes if they are well-formed and canonical, without checking the signature (that
 * needs the asynchronous {@link verifyControl}); null otherwise. Write policies use it to refuse garbage at once.
 */
export function readSignedControl(bytes: Uint8Array): AnyControlStatement | null {
  const container = decodeSignedControl(bytes);
  if (container === null || container.signature.length !== 64) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(container.payload));
  } catch {
    return null;
  }
  if (statementProblem(parsed) !== null) return null;
  const canonical = encodeControlStatement(parsed as ControlStatement);
  if (canonical.length !== container.payload.length || canonical.some((b, i) => b !== container.payload[i])) return null;
  return parsed as AnyControlStatement;
}

/** Options of {@link verifyControl}. */
export interface VerifyControlOptions {
  /** The seq currently held for the statement's slot: a statement with seq ≤ this is rejected as `replay`. */
  lastSeq?: number;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

/** Imports (and caches) a base64url teacher key. */
function teacherCryptoKey(key: string | CryptoKey): Promise<CryptoKey> {
  if (typeof key !== 'string') return Promise.resolve(key);
  let p = keyCache.get(key);
  if (!p) {
    p = importTeacherPublicKey(key);
    keyCache.set(key, p);
    p.catch(() => keyCache.delete(key));
  }
  return p;
}

/**
 * Verifies a signed statement: well-formed and canonical (`malformed`), signed by the teacher key
 * (`bad-signature`), for this class (`wrong-class`), newer than `options.lastSeq` (`replay`), in that order.
 *
 * @param teacherPublicKey - base64url raw key from the join link, or an imported CryptoKey.
 * @param signed - a {@link SignedControl} or its {@link encodeSignedControl} bytes.
 */
export async function verifyControl(
  teacherPublicKey: string | CryptoKey,
  classId: string,
  signed: SignedControl | Uint8Array,
  options: VerifyControlOptions = {},
): Promise<ControlVerification> {
  const container = signed instanceof Uint8Array ? decodeSignedControl(signed) : signed;
  if (!container || !(container.payload instanceof Uint8Array) || !(container.signature instanceof Uint8Array)) {
    return { ok: false, reason: 'malformed', detail: 'not a signed control container' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(container.payload));
  } catch {
    return { ok: false, reason: 'malformed', detail: 'payload is not UTF-8 JSON' };
  }
  const problem = statementProblem(parsed);
  if (problem) return { ok: false, reason: 'malformed', detail: problem };
  const statement = parsed as AnyControlStatement;
  // Non-canonical payloads would let one statement have many byte forms; refuse them so bytes identify statements.
  const canonical = encodeControlStatement(statement);
  if (canonical.length !== container.payload.length || canonical.some((b, i) => b !== container.payload[i])) {
    return { ok: false, reason: 'malformed', detail: 'payload is not in canonical form' };
  }
  const key = await teacherCryptoKey(teacherPublicKey);
  if (!(await verifyBytes(key, container.signature, container.payload))) {
    return { ok: false, reason: 'bad-signature', detail: 'signature does not verify with the teacher key' };
  }
  if (statement.classId !== classId) {
    return { ok: false, reason: 'wrong-class', detail: `statement is for class ${JSON.stringify(statement.classId)}` };
  }
  if (options.lastSeq !== undefined && statement.seq <= options.lastSeq) {
    return { ok: false, reason: 'replay', detail: `seq ${statement.seq} ≤ current ${options.lastSeq}` };
  }
  return { ok: true, statement, signed: container };
}
