import type { Link } from '../sync/link.js';
import {
  ChunkReassembler, DEFAULT_MAX_MESSAGE_BYTES, encodeChunks, isChunkFrame, needsChunking,
} from '../protocol/chunks.js';

/** Pause sending while the channel buffers more than this (bytes). */
export const BUFFERED_HIGH_WATER_BYTES = 1024 * 1024;
/** Resume sending when the buffer drains below this; lower than the high-water mark so we do not flap. */
export const BUFFERED_LOW_WATER_BYTES = 256 * 1024;
/**
 * How often to look at `bufferedAmount` while paused. Some implementations (e.g. @roamhq/wrtc) never fire
 * `bufferedamountlow`, so the event alone could stall a paused link forever.
 */
const DRAIN_POLL_MS = 20;

/** Options for {@link DataChannelLink}. */
export interface DataChannelLinkOptions {
  /** Largest reassembled message accepted from the peer (default 64 MiB). */
  maxMessageBytes?: number;
  /** Called with a reason whenever an incoming frame is refused (bad chunk, text frame …). */
  onDroppedMessage?: (reason: string) => void;
}

/**
 * A {@link Link} over one ordered, reliable RTCDataChannel.
 *
 * Messages up to 16 KiB go as they are; larger ones (or ones that begin with the chunk type) go as chunk
 * frames (`src/protocol/chunks.ts`) and are reassembled on the other side. Sends made before the channel is
 * open, or while its buffer is above 1 MiB, wait in an in-memory queue. A message half-received when the
 * link closes is dropped.
 */
export class DataChannelLink implements Link {
  /** The remote peer's id. */
  readonly remoteId: string;
  /** The underlying channel. */
  readonly channel: RTCDataChannel;
  private readonly messageHandlers = new Set<(message: Uint8Array) => void>();
  private readonly closeHandlers = new Set<() => void>();
  private readonly reassembler: ChunkReassembler;
  private readonly onDropped: (reason: string) => void;
  private readonly queue: Uint8Array[] = [];
  private nextChunkedMessageId = 0;
  private closed = false;
  private drainTimer: ReturnType<typeof setInterval> | null = null;

  /**
   * @param remoteId the peer at the other end.
   * @param channel an ordered, reliable channel, open or still connecting.
   */
  constructor(remoteId: string, channel: RTCDataChannel, options: DataChannelLinkOptions = {}) {
    this.remoteId = remoteId;
    this.channel = channel;
    this.reassembler = new ChunkReassembler(options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.onDropped = options.onDroppedMessage ?? (() => {});
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = BUFFERED_LOW_WATER_BYTES;
    channel.addEventListener('open', this.flush);
    channel.addEventListener('bufferedamountlow', this.flush);
    channel.addEventListener('message', this.receive);
    channel.addEventListener('close', this.handleClose);
    if (channel.readyState === 'closing' || channel.readyState === 'closed') this.handleClose();
  }

  /** Sends one whole message; dropped silently once the link is closed. */
  send(message: Uint8Array): void {
    if (this.closed) return;
    if (needsChunking(message)) {
      for (const frame of encodeChunks(message, this.nextChunkedMessageId++)) this.queue.push(frame);
    } else {
      // Copy: the caller may reuse its buffer before the queue drains.
      this.queue.push(message.slice());
    }
    this.flush();
  }

  /** Registers a handler for whole incoming messages. */
  onMessage(handler: (message: Uint8Array) => void): () => void {
    this.messageHandlers.add(handler);
    return () => { this.messageHandlers.delete(handler); };
  }

  /** Registers a handler called once when the link closes. */
  onClose(handler: () => void): () => void {
    if (this.closed) {
      queueMicrotask(handler);
      return () => {};
    }
    this.closeHandlers.add(handler);
    return () => { this.closeHandlers.delete(handler); };
  }

  /** Closes the channel and runs the close handlers. */
  close(): void {
    if (this.closed) return;
    try { this.channel.close(); } catch { /* already closed by the implementation */ }
    this.handleClose();
  }

  /**
   * Closes the channel gracefully and resolves once it reports `closed` (or after `maxWaitMs`). The close handlers
   * run at once; the channel's closing procedure still delivers what was already sent (an SCTP stream reset follows
   * the queued data), so the caller must not close the RTCPeerConnection before this resolves: that would abort it.
   */
  closeGracefully(maxWaitMs: number): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    // Hand over what still waits in our own queue first: the channel only finishes what it was given.
    this.flush();
    try { this.channel.close(); } catch { /* already closed by the implementation */ }
    this.handleClose();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.channel.readyState === 'closed' || Date.now() >= deadline) resolve();
        else setTimeout(check, DRAIN_POLL_MS);
      };
      check();
    });
  }

  /** Messages (or chunk frames) waiting to be handed to the channel. */
  get queuedFrames(): number { return this.queue.length; }

  private readonly flush = (): void => {
    if (this.closed || this.channel.readyState !== 'open') return;
    while (this.queue.length > 0) {
      if (this.channel.bufferedAmount > BUFFERED_HIGH_WATER_BYTES) {
        this.startDrainPoll();
        return;
      }
      const frame = this.queue.shift()!;
      try {
        this.channel.send(frame as Uint8Array<ArrayBuffer>);
      } catch (error) {
        // The channel closed under us (its close event may come later): nothing more can be sent.
        this.onDropped(`send failed: ${String(error)}`);
        this.close();
        return;
      }
    }
    this.stopDrainPoll();
  };

  private startDrainPoll(): void {
    if (this.drainTimer !== null) return;
    this.drainTimer = setInterval(() => {
      if (this.channel.bufferedAmount <= BUFFERED_LOW_WATER_BYTES) this.flush();
    }, DRAIN_POLL_MS);
  }

  private stopDrainPoll(): void {
    if (this.drainTimer === null) return;
    clearInterval(this.drainTimer);
    this.drainTimer = null;
  }

  private readonly receive = (event: MessageEvent): void => {
    if (this.closed) return;
    const data: unknown = event.data;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.onDropped(`non-binary data-channel message (${typeof data})`);
      return;
    }
    if (bytes.length === 0) {
      this.onDropped('empty data-channel message');
      return;
    }
    if (!isChunkFrame(bytes)) {
      this.deliver(bytes);
      return;
    }
    const result = this.reassembler.push(bytes);
    if (result.kind === 'message') this.deliver(result.message);
    else if (result.kind === 'dropped') this.onDropped(result.reason);
  };

  private deliver(message: Uint8Array): void {
    for (const handler of [...this.messageHandlers]) {
      try {
        handler(message);
      } catch (error) {
        // One faulty consumer must not stop the others or break the channel.
        this.onDropped(`message handler threw: ${String(error)}`);
      }
    }
  }

  private readonly handleClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.stopDrainPoll();
    this.queue.length = 0;
    this.reassembler.reset();
    this.channel.removeEventListener('open', this.flush);
    this.channel.removeEventListener('bufferedamountlow', this.flush);
    this.channel.removeEventListener('message', this.receive);
    this.channel.removeEventListener('close', this.handleClose);
    const handlers = [...this.closeHandlers];
    this.closeHandlers.clear();
    this.messageHandlers.clear();
    for (const handler of handlers) {
      try { handler(); } catch { /* a close handler's failure is its own */ }
    }
  };
}

/** `RTCDataChannelInit` with `priority` (WebRTC priority control; not in TypeScript's DOM types yet). */
interface PrioritizedDataChannelInit extends RTCDataChannelInit {
  priority?: RTCPriorityType;
}

/** Priority of the peerclass data channel: above video (`low`), so board edits and chat go first on a thin uplink. */
export const DATA_CHANNEL_PRIORITY: RTCPriorityType = 'high';

/**
 * Creates the negotiated channel with {@link DATA_CHANNEL_PRIORITY}. An implementation that does not know `priority`
 * ignores the member (WebIDL dictionaries drop unknown ones; Chromium 156 without its experimental flag, for one);
 * one that knows it but refuses it throws, and then the channel is created without it rather than not at all.
 */
function createPrioritizedChannel(pc: RTCPeerConnection): RTCDataChannel {
  const init: RTCDataChannelInit = { negotiated: true, id: 0, ordered: true };
  const prioritized: PrioritizedDataChannelInit = { ...init, priority: DATA_CHANNEL_PRIORITY };
  try {
    return pc.createDataChannel('peerclass', prioritized);
  } catch {
    return pc.createDataChannel('peerclass', init);
  }
}

/** Options for {@link openNegotiatedLink}. */
export interface NegotiatedLinkOptions extends DataChannelLinkOptions {
  /** The channel opened (called once, asynchronously). */
  onOpen: (link: DataChannelLink) => void;
  /** The channel closed, from either side. */
  onChannelClose: () => void;
}

/**
 * Creates the peerclass data channel (label `peerclass`, `negotiated: true, id: 0`, ordered, priority `high` where
 * supported) on a connection and its link. Both sides create the same channel, so neither waits for a `datachannel` event.
 */
export function openNegotiatedLink(pc: RTCPeerConnection, remoteId: string, options: NegotiatedLinkOptions): DataChannelLink {
  const channel = createPrioritizedChannel(pc);
  const linkOptions: DataChannelLinkOptions = {};
  if (options.maxMessageBytes !== undefined) linkOptions.maxMessageBytes = options.maxMessageBytes;
  if (options.onDroppedMessage !== undefined) linkOptions.onDroppedMessage = options.onDroppedMessage;
  const link = new DataChannelLink(remoteId, channel, linkOptions);
  const opened = (): void => options.onOpen(link);
  if (channel.readyState === 'open') queueMicrotask(opened);
  else channel.addEventListener('open', opened, { once: true });
  // The channel's own close event, not the link's: after a local link.close() the channel first sends what it
  // has queued (a leave message), and closing the RTCPeerConnection at once would abort that.
  channel.addEventListener('close', options.onChannelClose);
  return link;
}
