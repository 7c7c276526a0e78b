import { ObservableV2 } from 'lib0/observable';
import { MediaError, toMediaError } from './errors.js';

/** The part of `navigator.mediaDevices` media needs; pass a fake outside a browser. */
export type MediaDevicesLike = Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;

/** A local track and the stream it is sent in (receivers group tracks by stream, so the stream matters). */
export interface LocalTrack {
  track: MediaStreamTrack;
  stream: MediaStream;
}

/** Events of {@link LocalCapture}. */
export interface LocalCaptureEvents {
  /** The set of local tracks changed: a source was turned on or off. */
  tracks: () => void;
  /** A device switch: `next` takes `previous`'s place (senders can swap in place, without renegotiating). */
  replaced: (previous: MediaStreamTrack, next: MediaStreamTrack) => void;
  /** The local screen-share stream started (its id) or stopped (null); receivers tell screen from camera by it. */
  'screen-stream': (streamId: string | null) => void;
}

type Source = 'camera' | 'microphone' | 'screen';

/**
 * The local camera, microphone and screen share: capture, device switches, the teacher's mute request.
 *
 * Camera and microphone share one stream (so receivers keep lip sync); the screen share is a stream of its own.
 * A call that is overtaken by a later one for the same source (e.g. the camera turned off while the permission
 * prompt of turning it on is still open) discards what it captured instead of switching the source back on.
 */
export class LocalCapture extends ObservableV2<LocalCaptureEvents> {
  private camera: MediaStreamTrack | null = null;
  private microphone: MediaStreamTrack | null = null;
  private screen: MediaStreamTrack | null = null;
  private main: MediaStream | null = null;
  private screenMedia: MediaStream | null = null;
  private muteRequested = false;
  private readonly generation: Record<Source, number> = { camera: 0, microphone: 0, screen: 0 };

  /** @param devices - capture source; default `navigator.mediaDevices`, read when first needed. */
  constructor(private readonly devices?: MediaDevicesLike) {
    super();
  }

  /** The camera + microphone stream (null until one of them is first turned on). */
  get mainStream(): MediaStream | null { return this.main; }

  /** The screen-share stream, or null. */
  get screenStream(): MediaStream | null { return this.screenMedia; }

  /** Every live local track with the stream it belongs to. */
  localTracks(): LocalTrack[] {
    const out: LocalTrack[] = [];
    if (this.main !== null) for (const track of [this.camera, this.microphone]) if (track !== null) out.push({ track, stream: this.main });
    if (this.screen !== null && this.screenMedia !== null) out.push({ track: this.screen, stream: this.screenMedia });
    return out;
  }

  /** Camera on (any device, or exactly `deviceId`) or off. Rejects with a {@link MediaError}. */
  async setCamera(on: boolean, deviceId?: string): Promise<void> {
    await this.setUserSource('camera', on, deviceId);
  }

  /** Microphone on (any device, or exactly `deviceId`) or off; a pending mute request keeps it muted. */
  async setMicrophone(on: boolean, deviceId?: string): Promise<void> {
    await this.setUserSource('microphone', on, deviceId);
  }

  /** Starts or stops the screen share. Rejects with a {@link MediaError} (`aborted` when the picker was closed). */
  async shareScreen(on: boolean): Promise<void> {
    const generation = ++this.generation.screen;
    if (!on) { this.stopScreen(); return; }
    if (this.screen !== null) return;
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices().getDisplayMedia({ video: true });
    } catch (e) {
      throw toMediaError(e, 'shareScreen');
    }
    const track = stream.getVideoTracks()[0];
    if (generation !== this.generation.screen) { for (const t of stream.getTracks()) t.stop(); return; }
    if (track === undefined) throw new MediaError('no-track', 'shareScreen: getDisplayMedia returned no video track');
    // The browser's own "stop sharing" button ends the track without a call from the app.
    track.addEventListener('ended', () => { if (this.screen === track) void this.shareScreen(false); });
    this.screen = track;
    this.screenMedia = new MediaStream([track]);
    this.emit('screen-stream', [this.screenMedia.id]);
    this.emit('tracks', []);
  }

  /** Applies a teacher's mute request to the microphone (true: muted), now and for a microphone turned on later. */
  applyMuteRequest(muted: boolean): void {
    this.muteRequested = muted;
    if (this.microphone !== null) this.microphone.enabled = !muted;
  }

  /** Stops every local track and discards captures still in flight. Emits nothing: the owner is going away. */
  stop(): void {
    for (const source of ['camera', 'microphone', 'screen'] as const) this.generation[source]++;
    for (const track of [this.camera, this.microphone, this.screen]) track?.stop();
    this.camera = this.microphone = this.screen = null;
    this.screenMedia = null;
  }

  private async setUserSource(source: 'camera' | 'microphone', on: boolean, deviceId: string | undefined): Promise<void> {
    const generation = ++this.generation[source];
    const previous = this[source];
    if (!on) {
      this[source] = null;
      if (previous !== null) { this.main?.removeTrack(previous); previous.stop(); this.emit('tracks', []); }
      return;
    }
    if (previous !== null && deviceId === undefined) return;
    const track = await this.captureTrack(source, deviceId);
    if (generation !== this.generation[source]) { track.stop(); return; }
    if (source === 'microphone') track.enabled = !this.muteRequested;
    const current = this[source];
    this[source] = track;
    if (this.main === null) this.main = new MediaStream();
    if (current !== null) {
      this.emit('replaced', [current, track]);
      this.main.removeTrack(current);
      current.stop();
    }
    this.main.addTrack(track);
    this.emit('tracks', []);
  }

  private async captureTrack(source: 'camera' | 'microphone', deviceId: string | undefined): Promise<MediaStreamTrack> {
    const operation = source === 'camera' ? 'setCamera' : 'setMicrophone';
    const kind = source === 'camera' ? 'video' : 'audio';
    const constraints: MediaTrackConstraints | boolean = deviceId === undefined ? true : { deviceId: { exact: deviceId } };
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices().getUserMedia({ [kind]: constraints });
    } catch (e) {
      throw toMediaError(e, operation);
    }
    const [track, ...extra] = kind === 'video' ? stream.getVideoTracks() : stream.getAudioTracks();
    for (const t of extra) t.stop();
    if (track === undefined) throw new MediaError('no-track', `${operation}: getUserMedia returned no ${kind} track`);
    return track;
  }

  private stopScreen(): void {
    const track = this.screen;
    if (track === null) return;
    this.screen = null;
    this.screenMedia = null;
    track.stop();
    this.emit('screen-stream', [null]);
    this.emit('tracks', []);
  }

  private mediaDevices(): MediaDevicesLike {
    const devices = this.devices ?? (globalThis.navigator as Navigator | undefined)?.mediaDevices;
    if (devices === undefined) throw new MediaError('unsupported', 'no media devices here (pass options.mediaDevices outside a browser)');
    return devices;
  }
}
