import { ObservableV2 } from 'lib0/observable';
import type { MediaConnection } from '../provider/network.js';

/** What a local or remote track carries. */
export type MediaKind = 'camera' | 'microphone' | 'screen';

/** A remote track that started arriving. */
export interface TrackSubscribedEvent {
  peerId: string;
  track: MediaStreamTrack;
  stream: MediaStream;
  kind: MediaKind;
}

/** A remote track that stopped arriving (the sender removed it or the connection closed). */
export interface TrackUnsubscribedEvent {
  peerId: string;
  track: MediaStreamTrack;
}

/** Events of {@link Subscriptions}. */
export interface SubscriptionEvents {
  'track-subscribed': (event: TrackSubscribedEvent) => void;
  'track-unsubscribed': (event: TrackUnsubscribedEvent) => void;
}

/**
 * Tells a remote track's kind. A screen share travels as a second video stream; the sender announces that
 * stream's id out of band (presence), since SDP carries nothing a receiver could tell it from a camera by.
 *
 * @param screenStreamId - the stream id the sender announced for its screen share, or null.
 */
export function classifyTrack(track: MediaStreamTrack, stream: MediaStream, screenStreamId: string | null): MediaKind {
  if (track.kind === 'audio') return 'microphone';
  return screenStreamId !== null && stream.id === screenStreamId ? 'screen' : 'camera';
}

interface Remote {
  stream: MediaStream | null;
  tracks: Set<MediaStreamTrack>;
}

/**
 * Remote tracks arriving on the class's connections: reports each as subscribed with its kind, and as
 * unsubscribed exactly once when the sender removes it, it ends, or its connection closes.
 */
export class Subscriptions extends ObservableV2<SubscriptionEvents> {
  private readonly remotes = new Map<string, Remote>();
  private readonly watched = new Map<MediaConnection, () => void>();
  private destroyed = false;

  /** @param screenStreamOf - the screen-share stream id `peerId` announced, or null. */
  constructor(private readonly screenStreamOf: (peerId: string) => string | null) {
    super();
  }

  /** Remote camera/microphone streams by peer id (screen shares are reported through events only); SFU streams first. */
  remoteStreams(): Map<string, MediaStream> {
    const out = new Map<string, MediaStream>();
    for (const [key, remote] of this.remotes) {
      if (remote.stream === null || remote.tracks.size === 0 || key.startsWith('external:')) continue;
      out.set(key, remote.stream);
    }
    // A peer's media through the SFU wins over a peer-to-peer stream still fading out (or fading in) during a switch.
    for (const [key, remote] of this.remotes) {
      if (remote.stream !== null && remote.tracks.size > 0 && key.startsWith('external:')) out.set(key.slice('external:'.length), remote.stream);
    }
    return out;
  }

  /** Starts reporting `connection`'s remote tracks; watching a connection twice is a no-op. */
  watch(connection: MediaConnection): void {
    if (this.destroyed || this.watched.has(connection)) return;
    const peerId = connection.remoteId;
    const live = new Set<MediaStreamTrack>();
    const gone = (track: MediaStreamTrack): void => {
      if (!live.delete(track)) return;
      const remote = this.remotes.get(peerId);
      remote?.tracks.delete(track);
      if (remote !== undefined && remote.tracks.size === 0 && connection.closed) this.remotes.delete(peerId);
      if (!this.destroyed) this.emit('track-unsubscribed', [{ peerId, track }]);
    };
    const offTrack = connection.onTrack(({ track, streams }) => {
      if (this.destroyed) return;
      const stream = streams[0] ?? new MediaStream([track]);
      const kind = classifyTrack(track, stream, this.screenStreamOf(peerId));
      if (kind !== 'screen') {
        const remote = this.remotes.get(peerId) ?? { stream: null, tracks: new Set() };
        remote.stream = stream;
        remote.tracks.add(track);
        this.remotes.set(peerId, remote);
      }
      live.add(track);
      // Unified Plan: a removed remote track leaves its stream (and is muted) rather than ending.
      stream.addEventListener('removetrack', (e) => { if ((e as MediaStreamTrackEvent).track === track) gone(track); });
      track.addEventListener('ended', () => gone(track));
      this.emit('track-subscribed', [{ peerId, track, stream, kind }]);
    });
    const offClosed = connection.onClosed(() => {
      for (const track of [...live]) gone(track);
      this.unwatch(connection);
    });
    this.watched.set(connection, () => { offTrack(); offClosed(); });
  }

  /**
   * Reports a track that arrives some other way than the class's peer connections (the SFU, in lecture mode) as
   * `peerId`'s. It counts in {@link remoteStreams} (ahead of a peer-to-peer stream of the same peer) until it ends or
   * the returned function is called, which reports it unsubscribed (once).
   */
  addExternal(event: TrackSubscribedEvent): () => void {
    const { peerId, track, stream, kind } = event;
    if (this.destroyed) return () => {};
    let live = true;
    const key = `external:${peerId}`;
    if (kind !== 'screen') {
      const remote = this.remotes.get(key) ?? { stream: null, tracks: new Set() };
      remote.stream = stream;
      remote.tracks.add(track);
      this.remotes.set(key, remote);
    }
    const gone = (): void => {
      if (!live) return;
      live = false;
      track.removeEventListener('ended', gone);
      const remote = this.remotes.get(key);
      remote?.tracks.delete(track);
      if (remote !== undefined && remote.tracks.size === 0) this.remotes.delete(key);
      if (!this.destroyed) this.emit('track-unsubscribed', [{ peerId, track }]);
    };
    track.addEventListener('ended', gone);
    this.emit('track-subscribed', [event]);
    return gone;
  }

  /** Stops reporting; tracks still arriving are not reported as unsubscribed (the owner is going away). */
  override destroy(): void {
    this.destroyed = true;
    for (const connection of [...this.watched.keys()]) this.unwatch(connection);
    this.remotes.clear();
    super.destroy();
  }

  private unwatch(connection: MediaConnection): void {
    this.watched.get(connection)?.();
    this.watched.delete(connection);
  }
}
