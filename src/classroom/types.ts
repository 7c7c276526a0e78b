import type * as Y from 'yjs';
import type { TeacherIdentity } from '../authority/identity.js';
import type { ControlKind, ControlRejectionReason } from '../authority/control.js';
import type { AnyDocType } from '../doctypes/types.js';
import type { ConnectionQuality, MediaKind } from '../media/index.js';
import type { Role } from '../protocol/announce.js';
import type { PeerKeyStore } from '../identity/keyStore.js';
import type { PeerIdentity } from '../identity/peerIdentity.js';
import type { AuthFailureReason } from '../sync/envelopeAuth.js';
import type { Knock } from './admission.js';
import type { LectureOptions } from '../media/lecture/lectureMode.js';
import type { NetworkStatus } from '../provider/network.js';
import type { RtcImplementation } from '../transport/peerConnection.js';
import type { RelayToken, WebSocketConstructorLike } from '../transport/signalingClient.js';

/** Options of {@link Classroom.create}. `classId`, `secret` and `teacherKey` come from the join link. */
export interface ClassroomOptions {
  /** Relay URL(s). */
  signaling: string | string[];
  classId: string;
  secret: string;
  /** The teacher public key (base64url) from the join link. */
  teacherKey: string;
  /** Present only on the teacher's peer; its public key must equal `teacherKey`. */
  identity?: TeacherIdentity;
  /** Display name. */
  name: string;
  /**
   * This participant's key (README "Trust"): its peer id derives from the public key and everything it sends is
   * signed. Default: loaded from `keyStore` for this class, or created and stored there, so a reload is the same
   * person.
   */
  peerIdentity?: PeerIdentity;
  /** Where {@link ClassroomOptions.peerIdentity} is kept. Default: IndexedDB in a browser; elsewhere a new key per join. */
  keyStore?: PeerKeyStore;
  /**
   * A fixed peer id without a key, for tests and tools that need readable ids: the peer runs unsigned, so it can only
   * meet other unsigned peers (signed peers ignore it). Not for real classes.
   */
  peerId?: string;
  /** WebRTC implementation (default the browser's; `@roamhq/wrtc` in Node). */
  rtc?: RtcImplementation;
  /** WebSocket constructor (default the global; `ws` in Node). */
  WebSocket?: WebSocketConstructorLike;
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /**
   * Relay access token (JWT) for relays that require one (README "Relay tokens"): a string, or a function that
   * fetches a fresh one from your backend, called on every (re)connect and before the token expires. Refusals arrive
   * on `network`'s `error` event with code `unauthorized`.
   */
  relayToken?: RelayToken;
  /** @deprecated Use {@link ClassroomOptions.relayToken}. */
  token?: string;
  /** Extra (third-party) doc types registered besides the built-ins (whiteboard, chat, presentation, history). */
  docTypes?: readonly AnyDocType[];
  /**
   * Enforce the doc types' write policies on every update that arrives (README, "Write policies"): this peer claims its
   * Yjs clientIDs in the doc, and refuses (neither applies nor forwards) updates a policy refuses, reporting them as
   * `rejected` (`write-policy`). Every peer of a class should agree on it. Default: on for signed peers (policies
   * judge by the signed origin), off with a fixed test `peerId`. Others' content crosses anti-entropy only from the
   * teacher and keepers it trusts (`admission.trustKeeper`).
   */
  writePolicies?: boolean;
  /** The class document; default `createClassDoc()`. */
  doc?: Y.Doc;
  /** `getUserMedia`/`getDisplayMedia` source; default `navigator.mediaDevices`. */
  mediaDevices?: Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;
  /**
   * A fixed teacher uplink budget for video, bits per second. Default: none — the budget follows the measured uplink
   * (`availableOutgoingBitrate` of each connection, see `MeasuredUplink`), never below a floor per receiver.
   */
  uplinkBudget?: number;
  /** Receives reasons for dropped or ignored peer input. */
  log?: (reason: string) => void;
  /** Interval of the `getStats` quality poll (and bitrate refresh), ms; 0 turns it off. Default 2000. */
  statsIntervalMs?: number;
  /**
   * `'classroom'` (default): star around the teacher plus the stage, media per the classroom send rule.
   * `'mesh'`: everyone connects to and sends media to everyone (small groups; the benchmark's baseline).
   */
  mode?: 'classroom' | 'mesh';
  /**
   * Lecture mode (README "Lecture mode"): past `threshold` students (default 25) or when the teacher's uplink cannot
   * give every student `floorBitrate`, the teacher's media goes once to the SFU the relay assigned (`--sfu`) and
   * students receive it there; data stays peer to peer. Without an SFU the class stays peer to peer.
   */
  lecture?: LectureOptions;
}

/** A person in the class, as this peer sees it. */
export interface Participant {
  peerId: string;
  name: string;
  /** `teacher` only for a peer that proved it holds the class's teacher key. */
  role: Role;
  /** When the hand was raised (the raiser's clock, ms), or null. */
  handRaisedAt: number | null;
  onStage: boolean;
  /** Reachable now (directly or through the teacher). */
  connected: boolean;
  quality?: ConnectionQuality;
}

/** Connection summary for a status bar. */
export interface ClassroomStatus {
  signaling: NetworkStatus;
  /** Number of peers reachable. */
  peers: number;
  synced: boolean;
}

/**
 * Why a peer's input was refused: a control statement's reason, a teacher claim without proof, or a document update
 * refused by the write policies (`writePolicies`; the detail names the doc type and the policy code).
 */
export type ClassroomRejectionReason = ControlRejectionReason | 'forged-teacher' | 'write-policy' | `signature:${AuthFailureReason}`;

/** Something a peer sent or wrote was refused. */
export interface ClassroomRejection {
  reason: ClassroomRejectionReason;
  /** Human-readable detail, for logs. */
  detail: string;
  /** The peer that sent or wrote it, when known. */
  writer?: string;
}

/** Events of a {@link Classroom}. */
export interface ClassroomEvents {
  /** Everyone present changed in any way (list, hands, stage, connectivity, quality). */
  participants: (participants: Participant[]) => void;
  /** Someone appeared in the class (their presence arrived). */
  'participant-joined': (participant: Participant) => void;
  /** Someone left, was removed, or became unreachable. */
  'participant-left': (peerId: string) => void;
  stage: (peerId: string | null) => void;
  /** The raised-hand queue, oldest first. */
  hands: (queue: string[]) => void;
  status: (status: ClassroomStatus) => void;
  /** The teacher's signed state changed (read it with `boardLocked()`, `slide()`, `muteRequested()`, `stage()` …). */
  control: (event: { kinds: ControlKind[] }) => void;
  /** Teacher: the lobby (students knocking, oldest first) changed. */
  lobby: (knocks: Knock[]) => void;
  /** The teacher removed this peer; the classroom has left. */
  removed: () => void;
  /** The teacher ended the class. */
  ended: () => void;
  /** A control statement was forged, replayed or malformed, or a peer claimed the teacher role without proof. */
  rejected: (event: ClassroomRejection) => void;
  /** Lecture mode started (true: the teacher's media goes through the SFU) or ended (false). */
  lecture: (active: boolean) => void;
  'track-subscribed': (event: { peerId: string; track: MediaStreamTrack; stream: MediaStream; kind: MediaKind }) => void;
  'track-unsubscribed': (event: { peerId: string; track: MediaStreamTrack }) => void;
  quality: (event: { peerId: string; quality: ConnectionQuality }) => void;
}
