// The SFU (Janus VideoRoom) pieces lecture mode builds on. Not re-exported from src/media/index.ts on purpose yet:
// the classroom wires them in.
export {
  JanusSession, VideoRoomHandle, SfuError, SFU_CLOSED, SFU_TIMEOUT, SFU_BAD_REPLY,
  VIDEOROOM_NO_SUCH_ROOM, VIDEOROOM_ROOM_EXISTS, VIDEOROOM_MISSING_ELEMENT, VIDEOROOM_UNAUTHORIZED, VIDEOROOM_NO_SUCH_FEED,
  type JanusConnectOptions, type JanusSessionEvents, type VideoRoomHandleEvents, type VideoRoomData, type VideoRoomRequest,
  type Jsep, type SfuSocket, type SfuSocketConstructor,
} from './janusClient.js';
export { ensureRoom, feedsOf, kickParticipant, type EnsureRoomOptions, type SfuFeed } from './videoRoom.js';
export { SfuPublisher, type SfuPublishOptions, type SfuStreamDescription } from './sfuPublisher.js';
export { SfuSubscriber, type SfuSubscribeOptions, type SfuSubscriberEvents, type SfuTrackEvent } from './sfuSubscriber.js';
export { sfuRoomFor, sfuAdminSecret, type SfuRoom, type SfuAdminSecret } from './roomSecrets.js';
