import type { TeacherIdentity } from '../../authority/identity.js';
import type { Presence, SfuPresence } from '../../protocol/presence.js';
import type { ClassroomMedia } from '../classroomMedia.js';
import type { SfuSocketConstructor } from '../sfu/index.js';
import type { LectureSwitchOptions } from './lectureSwitch.js';

/** Options of lecture mode (`ClassroomOptions.lecture`). */
export interface LectureOptions extends LectureSwitchOptions {
  /** Set false to keep media peer to peer whatever the class size. Default: on whenever an SFU is known. */
  enabled?: boolean;
  /** The SFU's WebSocket URL; default the one the relay assigned to the class (`network.sfuUrl()`, relay `--sfu`). */
  sfuUrl?: string;
  /**
   * The longest both routes carry a publisher's media during a switch, ms. Going to the SFU, the peer-to-peer copy
   * stops as soon as every receiver says the SFU's media arrives (presence `watching`), at the latest after this;
   * coming back, the SFU copy stops this long after the peer connections carry the media again. Default 5000.
   */
  handoverMs?: number;
  /** Three simulcast layers for the camera at the SFU (receivers on a weak link get a lower one). Default true. */
  simulcast?: boolean;
  /** WebSocket constructor for the SFU connection (default the global; `ws` in Node). */
  WebSocket?: SfuSocketConstructor;
  /** How often the teacher re-checks class size and uplink, ms. Default 1000. */
  checkIntervalMs?: number;
}

/** What lecture mode needs from the classroom around it. */
export interface LectureHost {
  classId: string;
  secret: string;
  selfId: string;
  /** The teacher's identity on the teacher's peer (derives the room's admin secret); undefined on students. */
  teacherIdentity: TeacherIdentity | undefined;
  media: ClassroomMedia;
  rtc: typeof RTCPeerConnection | undefined;
  iceServers(): RTCIceServer[];
  /** The relay's SFU for this class, or null. */
  relaySfuUrl(): string | null;
  /** Students present and admitted, without keepers (what the teacher counts). */
  students(): string[];
  /** The verified teacher's peer id, when present (never a mere claim). */
  teacherId(): string | null;
  /** A peer's presence (bound to its sender). */
  presenceOf(peerId: string): Presence | null;
  stage(): string | null;
  /** Announces this peer's own SFU feed in its presence (null: none). */
  announce(sfu: SfuPresence | null): void;
  /** Lecture mode started (true) or ended (false) as this peer sees it. */
  onChange(active: boolean): void;
  log(reason: string): void;
}
