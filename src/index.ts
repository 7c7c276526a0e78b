/**
 * peerclass: a peer-to-peer online classroom framework.
 *
 * The root entry is the API an app uses: the Classroom, the provider and its network interface, the shipped doc
 * types and the extension API, identities and join links, media types, offline storage. Lower layers have their own
 * entries for those who build on them: `peerclass/provider`, `peerclass/classroom`, `peerclass/doctypes`,
 * `peerclass/authority`, `peerclass/sync` (routing, the in-memory network for simulations), `peerclass/signaling`
 * (the relay, Node) and `peerclass/persistence/file` (Node).
 */

// The class.
export { Admission, Classroom, CLASSROOM_AWARENESS_FIELD, LectureMode } from './classroom/index.js';
export type { AdmissionMode, Knock, LectureOptions } from './classroom/index.js';
export type { ClassroomEvents, ClassroomOptions, ClassroomRejection, ClassroomRejectionReason, ClassroomStatus, Participant } from './classroom/index.js';

// One room's network.
export { PeerclassProvider, randomPeerId } from './provider/index.js';
export type {
  ChannelHandler, ChannelMessageMeta, ChannelVerdict, ClassNetwork, ClassNetworkEvents, MediaConnection, NetworkChannel,
  NetworkError, NetworkStatus, PeerclassProviderEvents, PeerclassProviderOptions, PeersChange, ProviderError, SelfInfo,
} from './provider/index.js';
export type { ReconnectContext, ReconnectPolicy } from './transport/relaySocket.js';
export { DefaultReconnectPolicy } from './transport/relaySocket.js';
export type { RtcImplementation } from './transport/peerConnection.js';
export type { SignalingError, SignalingStatus, WebSocketConstructorLike } from './transport/signalingClient.js';
export type { RelayToken } from './transport/relayTokens.js';

// Every participant's key (README "Trust"): peer ids derive from public keys.
export { createPeerIdentity, IndexedDbKeyStore, loadOrCreatePeerIdentity, MemoryKeyStore, peerIdFromPublicKey } from './identity/index.js';
export type { PeerIdentity, PeerKeyStore } from './identity/index.js';

// Who connects to whom.
export { classroomTopology, isTeacher, meshTopology, withoutPeers } from './topology/index.js';
export type { ClassroomTopologyOptions, PeerInfo, Role, Topology } from './topology/index.js';

// Identities, join links, the teacher's signed control.
export {
  createTeacherIdentity, exportTeacherIdentity, importTeacherIdentity, TeacherKeyError,
} from './authority/identity.js';
export type { ExportedTeacherIdentity, TeacherIdentity } from './authority/identity.js';
export { createJoinLink, JoinLinkError, parseJoinLink, randomClassId, randomSecret } from './authority/joinLink.js';
export type { JoinLinkParams } from './authority/joinLink.js';
export type { ControlBodies, ControlKind, ControlRejectionReason } from './authority/control.js';

// Documents: the extension API and the shipped types.
export {
  BoardLockedError, defineDocType, DocTypeError, HistoryUnavailableError, InvalidInputError, PermissionError, ReadOnlyError,
} from './doctypes/types.js';
export type {
  AnyDocType, DocContext, DocProblem, DocProblemCode, DocProblemReport, DocType, DocTypeDefinition, DocTypeErrorCode, Identity,
} from './doctypes/types.js';
export { validate } from './doctypes/index.js';
export type { Check, Checked, Invalid, Shape, ShapeOf } from './doctypes/index.js';
export { policies } from './doctypes/index.js';
export type { DocPolicy, PolicyCode, PolicyContext, PolicyRejection, PolicyVerdict, TypeChange } from './doctypes/index.js';
export { DocumentSet } from './doctypes/documentSet.js';
export type { DocumentSetEvents, DocumentSetOptions, DocumentSetPolicies } from './doctypes/documentSet.js';
export { whiteboardType } from './doctypes/whiteboard.js';
export type { Whiteboard } from './doctypes/whiteboard.js';
export { Board } from './doctypes/board.js';
export type { InkInput, ShapeInput, StyleInput, TextInput } from './doctypes/board.js';
export { BoardView } from './doctypes/boardView.js';
export type { BoardChange, BoardEvents } from './doctypes/index.js';
export { BOARD_LIMITS, DEFAULT_PAGE_ID } from './doctypes/boardModel.js';
export type { BoardElement, ElementKind, InkElement, PageInfo, ShapeElement, ShapeKind, TextElement } from './doctypes/boardModel.js';
export { elementsToSvg, elementToSvg, inkPath, svgToPng } from './doctypes/svg.js';
export type { SvgOptions } from './doctypes/svg.js';
export { chatType, MAX_CHAT_LENGTH } from './doctypes/chat.js';
export type { Chat, ChatChange, ChatEvents, ChatMessage } from './doctypes/chat.js';
export { pollType } from './doctypes/poll.js';
export type { Poll, PollEvents, PollState } from './doctypes/poll.js';
export { createPresentationType, DECK_LIMITS, presentationType } from './doctypes/presentation.js';
export type { Deck, ImportProgress, Presentation, PresentationEvents, PresentationOptions, PresentationState, Slide, SlideImageMime } from './doctypes/presentation.js';
export { LASER_FIELD, readLasers, setLaser } from './doctypes/laser.js';
export type { AwarenessLike, LaserPointer } from './doctypes/laser.js';
export { createClassDoc, historyType, takeSnapshot } from './doctypes/replay.js';
export type { BoardHistory, HistoryEvents, HistoryMark } from './doctypes/replay.js';

// Media.
export { ClassroomMedia, MeasuredUplink, MediaError } from './media/index.js';
export type {
  ClassroomMediaEvents, ConnectionQuality, MediaErrorCode, MediaKind, QualityEvent, SendRule, TrackSubscribedEvent,
  TrackUnsubscribedEvent, UplinkEstimator,
} from './media/index.js';

// Offline storage in the browser (Node's file persistence: `peerclass/persistence/file`).
export { persistToIndexedDb } from './persistence/indexeddb.js';
export type { IndexedDbPersistence } from './persistence/indexeddb.js';
