import { TypedEmitter } from './emitter.js';

/*
 * A small typed client for the Janus API over WebSocket (https://janus.conf.meetecho.com/docs/rest.html, "WebSockets
 * interface"), only as much as the VideoRoom plugin needs. Written here because the registry's clients do not fit:
 * `janus-gateway` (janus.js, 1.4.x) assumes a browser window and webrtc-adapter and owns the RTCPeerConnection itself;
 * its typed wrappers build on it. This one runs in browsers and in Node (`ws`), and leaves WebRTC to the caller.
 */

/** The error Janus reports (`janus: "error"` or a VideoRoom `error_code`), or one of the client's own below. */
export class SfuError extends Error {
  override readonly name = 'SfuError';
  constructor(readonly code: number, readonly reason: string) {
    super(`Janus error ${code}: ${reason}`);
  }
}

/** Client-side codes (negative, so they never collide with Janus's 4xx). */
export const SFU_CLOSED = -1;
export const SFU_TIMEOUT = -2;
export const SFU_BAD_REPLY = -3;
/** VideoRoom codes the classroom acts on (janus_videoroom.c). */
export const VIDEOROOM_NO_SUCH_ROOM = 426;
export const VIDEOROOM_ROOM_EXISTS = 427;
export const VIDEOROOM_MISSING_ELEMENT = 429;
export const VIDEOROOM_UNAUTHORIZED = 433;
export const VIDEOROOM_NO_SUCH_FEED = 428;

/** The part of the WebSocket interface the client uses: the browser's and `ws`'s both have it. */
export interface SfuSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}
/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s default export in Node. */
export type SfuSocketConstructor = new (url: string, protocols: string) => SfuSocket;

/** An SDP offer or answer as Janus carries it. */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
  /** Set by Janus when the SDP negotiates simulcast. */
  simulcast?: unknown;
}
/** What the VideoRoom plugin answers: `videoroom` names the kind, the rest depends on it. */
export interface VideoRoomData {
  readonly videoroom: string;
  readonly [key: string]: unknown;
}
/** A VideoRoom request body (`request` names it; the other fields as documented for that request). */
export interface VideoRoomRequest {
  request: string;
  [key: string]: unknown;
}

/** Events of one plugin handle. */
export interface VideoRoomHandleEvents {
  /** An unsolicited VideoRoom event (publishers joined, unpublished, leaving, kicked, updated offers …). */
  event: (data: VideoRoomData, jsep: Jsep | undefined) => void;
  /** The PeerConnection of this handle is up (ICE + DTLS done on Janus's side). */
  webrtcup: () => void;
  /** Janus closed the PeerConnection of this handle. */
  hangup: (reason: string) => void;
  /** Janus started or stopped receiving media of a kind (`mid` names the stream in multistream). */
  media: (info: { type: string; receiving: boolean; mid?: string }) => void;
  /** The handle is gone (detached by us, by Janus, or with the session). */
  detached: () => void;
}
/** Events of a session. */
export interface JanusSessionEvents {
  /** The socket closed or Janus timed the session out; every handle has emitted `detached` before this. */
  closed: (reason: string) => void;
}

export interface JanusConnectOptions {
  /** `ws://host:port` of Janus's WebSocket transport. */
  url: string;
  /** The WebSocket constructor; defaults to `globalThis.WebSocket` (pass `ws` in Node 20). */
  WebSocket?: SfuSocketConstructor;
  /** Keepalive period; Janus drops sessions idle for its session_timeout (60 s by default). */
  keepaliveMs?: number;
  /** How long any single request may take (default 10 s). */
  timeoutMs?: number;
}

type Json = { readonly [key: string]: unknown };
interface Pending { resolve(reply: Json): void; reject(err: SfuError): void; timer: ReturnType<typeof setTimeout> }

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function randomTransaction(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The VideoRoom data of a reply, or the error it carries (a plugin `error_code` or a Janus `error`). */
function pluginData(reply: Json): VideoRoomData | SfuError {
  if (reply.janus === 'error') {
    const e = isObject(reply.error) ? reply.error : {};
    return new SfuError(typeof e.code === 'number' ? e.code : SFU_BAD_REPLY, typeof e.reason === 'string' ? e.reason : 'unknown error');
  }
  const plugin = isObject(reply.plugindata) ? reply.plugindata : undefined;
  const data = plugin !== undefined && isObject(plugin.data) ? plugin.data : undefined;
  if (data === undefined || typeof data.videoroom !== 'string') return new SfuError(SFU_BAD_REPLY, 'reply without VideoRoom data');
  if (data.error_code !== undefined || data.videoroom === 'error') {
    return new SfuError(typeof data.error_code === 'number' ? data.error_code : SFU_BAD_REPLY, typeof data.error === 'string' ? data.error : 'unknown VideoRoom error');
  }
  return data as VideoRoomData;
}

function jsepOf(reply: Json): Jsep | undefined {
  const j = reply.jsep;
  if (!isObject(j) || (j.type !== 'offer' && j.type !== 'answer') || typeof j.sdp !== 'string') return undefined;
  return { type: j.type, sdp: j.sdp, ...(j.simulcast !== undefined ? { simulcast: j.simulcast } : {}) };
}

/** A handle on the VideoRoom plugin within a {@link JanusSession}. */
export class VideoRoomHandle extends TypedEmitter<VideoRoomHandleEvents> {
  #gone = false;
  /** @internal Created by {@link JanusSession.attachVideoRoom}. */
  constructor(readonly session: JanusSession, readonly id: number) { super(); }

  /** Whether the handle was detached (by us, by Janus or with its session). */
  get detached(): boolean { return this.#gone; }

  /** A synchronous VideoRoom request (create, exists, destroy, edit, kick, listparticipants, …): its answer data. */
  async request(body: VideoRoomRequest): Promise<VideoRoomData> {
    const data = pluginData(await this.session.send({ janus: 'message', handle_id: this.id, body }, 'reply'));
    if (data instanceof SfuError) throw data;
    return data;
  }

  /**
   * An asynchronous VideoRoom request (join, configure, publish, unpublish, start, update, leave): resolves with the
   * `event` Janus sends for this transaction, and its JSEP (the offer of a subscriber join, the answer to a publish).
   */
  async message(body: VideoRoomRequest, jsep?: RTCSessionDescriptionInit): Promise<{ data: VideoRoomData; jsep: Jsep | undefined }> {
    const reply = await this.session.send({ janus: 'message', handle_id: this.id, body, ...(jsep !== undefined ? { jsep } : {}) }, 'event');
    const data = pluginData(reply);
    if (data instanceof SfuError) throw data;
    return { data, jsep: jsepOf(reply) };
  }

  /** Sends one ICE candidate, or `null` for end of candidates. */
  async trickle(candidate: RTCIceCandidateInit | null): Promise<void> {
    const c = candidate === null || candidate.candidate === '' ? { completed: true } : { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
    await this.session.send({ janus: 'trickle', handle_id: this.id, candidate: c }, 'ack');
  }

  /** Detaches from the plugin (Janus also hangs up the PeerConnection and leaves the room for this handle). */
  async detach(): Promise<void> {
    if (this.#gone) return;
    try {
      await this.session.send({ janus: 'detach', handle_id: this.id }, 'reply');
    } finally {
      this.gone();
    }
  }

  /** @internal Routes an unsolicited message from Janus. */
  dispatch(msg: Json): void {
    switch (msg.janus) {
      case 'event': {
        const data = pluginData(msg);
        if (!(data instanceof SfuError)) this.emit('event', data, jsepOf(msg));
        else if (data.code !== SFU_BAD_REPLY) this.emit('event', { videoroom: 'error', error_code: data.code, error: data.reason }, undefined);
        break;
      }
      case 'webrtcup': this.emit('webrtcup'); break;
      case 'hangup': this.emit('hangup', typeof msg.reason === 'string' ? msg.reason : ''); break;
      case 'media':
        if (typeof msg.type === 'string' && typeof msg.receiving === 'boolean') {
          this.emit('media', { type: msg.type, receiving: msg.receiving, ...(typeof msg.mid === 'string' ? { mid: msg.mid } : {}) });
        }
        break;
      case 'detached': this.gone(); break;
      default: break; // slowlink, trickle from Janus (we use half-trickle), …: nothing to do here
    }
  }

  /** @internal */
  gone(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.session.forget(this.id);
    this.emit('detached');
  }
}

/** One Janus session over one WebSocket. */
export class JanusSession extends TypedEmitter<JanusSessionEvents> {
  readonly #socket: SfuSocket;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending & { until: 'ack' | 'reply' | 'event' }>();
  readonly #handles = new Map<number, VideoRoomHandle>();
  #id = 0;
  #closed: string | undefined;
  #keepalive: ReturnType<typeof setInterval> | undefined;

  private constructor(socket: SfuSocket, timeoutMs: number) {
    super();
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('close', () => this.#shutdown('socket closed'));
    socket.addEventListener('error', () => this.#shutdown('socket error'));
  }

  /** Opens a WebSocket to Janus and creates a session on it. */
  static async connect(options: JanusConnectOptions): Promise<JanusSession> {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: SfuSocketConstructor }).WebSocket;
    if (Ctor === undefined) throw new SfuError(SFU_CLOSED, 'no WebSocket implementation: pass options.WebSocket (e.g. ws) in Node');
    const timeoutMs = options.timeoutMs ?? 10_000;
    const socket = new Ctor(options.url, 'janus-protocol');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { socket.close(); reject(new SfuError(SFU_TIMEOUT, `no connection to ${options.url} within ${timeoutMs} ms`)); }, timeoutMs);
      socket.addEventListener('open', () => { clearTimeout(timer); resolve(); });
      const fail = () => { clearTimeout(timer); reject(new SfuError(SFU_CLOSED, `could not connect to ${options.url}`)); };
      socket.addEventListener('error', fail);
      socket.addEventListener('close', fail);
    });
    const session = new JanusSession(socket, timeoutMs);
    try {
      const reply = await session.send({ janus: 'create' }, 'reply');
      const data = isObject(reply.data) ? reply.data : {};
      if (reply.janus !== 'success' || !isId(data.id)) throw new SfuError(SFU_BAD_REPLY, 'create: no session id');
      session.#id = data.id;
    } catch (err) {
      socket.close();
      throw err;
    }
    const period = options.keepaliveMs ?? 25_000;
    // A lost keepalive is not fatal by itself: Janus allows session_timeout (60 s) and the socket's close tells the rest.
    session.#keepalive = setInterval(() => { session.send({ janus: 'keepalive' }, 'ack').catch(() => undefined); }, period);
    return session;
  }

  /** The Janus session id. */
  get id(): number { return this.#id; }
  /** Why the session ended, or undefined while it is open. */
  get closedReason(): string | undefined { return this.#closed; }

  /** Attaches a new handle to the VideoRoom plugin. */
  async attachVideoRoom(): Promise<VideoRoomHandle> {
    const reply = await this.send({ janus: 'attach', plugin: 'janus.plugin.videoroom' }, 'reply');
    const data = isObject(reply.data) ? reply.data : {};
    if (reply.janus !== 'success' || !isId(data.id)) throw new SfuError(SFU_BAD_REPLY, 'attach: no handle id');
    const handle = new VideoRoomHandle(this, data.id);
    this.#handles.set(data.id, handle);
    return handle;
  }

  /** Destroys the session (Janus detaches every handle: their PeerConnections close, they leave their rooms) and closes the socket. */
  async close(): Promise<void> {
    if (this.#closed !== undefined) return;
    try {
      await this.send({ janus: 'destroy' }, 'reply');
    } catch { /* closing anyway */ }
    this.#shutdown('closed');
    this.#socket.close();
  }

  /**
   * @internal Sends a Janus request with a fresh transaction. Resolves with the first `ack` (until 'ack'), the first
   * `success` or `ack`-less reply (until 'reply'), or the transaction's `event` (until 'event'); rejects on `error`.
   */
  send(message: Json, until: 'ack' | 'reply' | 'event'): Promise<Json> {
    if (this.#closed !== undefined) return Promise.reject(new SfuError(SFU_CLOSED, `session closed (${this.#closed})`));
    const transaction = randomTransaction();
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new SfuError(SFU_TIMEOUT, `no answer to ${String(message.janus)} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(transaction, { resolve, reject, timer, until });
      try {
        this.#socket.send(JSON.stringify({ ...message, transaction, ...(this.#id !== 0 ? { session_id: this.#id } : {}) }));
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(transaction);
        reject(new SfuError(SFU_CLOSED, `send failed: ${String(err)}`));
      }
    });
  }

  /** @internal */
  forget(handleId: number): void { this.#handles.delete(handleId); }

  #receive(raw: unknown): void {
    // Anything Janus (or whatever answers on that port) sends is untrusted input: parse defensively, drop what is odd.
    let msg: unknown;
    try { msg = JSON.parse(typeof raw === 'string' ? raw : String(raw)); } catch { return; }
    if (!isObject(msg) || typeof msg.janus !== 'string') return;
    if (msg.janus === 'timeout' && msg.session_id === this.#id) { this.#shutdown('session timed out'); this.#socket.close(); return; }
    const pending = typeof msg.transaction === 'string' ? this.#pending.get(msg.transaction) : undefined;
    if (pending !== undefined) {
      const done = msg.janus === 'error'
        || (msg.janus === 'ack' && pending.until === 'ack')
        || (msg.janus === 'success' && pending.until !== 'ack')
        || (msg.janus === 'event' && pending.until !== 'ack');
      if (done) {
        clearTimeout(pending.timer);
        this.#pending.delete(msg.transaction as string);
        if (msg.janus === 'error') pending.reject(pluginData(msg) as SfuError);
        else pending.resolve(msg);
        return;
      }
      if (msg.janus === 'ack') return;
    }
    const handle = typeof msg.sender === 'number' ? this.#handles.get(msg.sender) : undefined;
    handle?.dispatch(msg);
  }

  #shutdown(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    clearInterval(this.#keepalive);
    for (const [transaction, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(transaction);
      pending.reject(new SfuError(SFU_CLOSED, `session closed (${reason})`));
    }
    for (const handle of [...this.#handles.values()]) handle.gone();
    this.emit('closed', reason);
  }
}
