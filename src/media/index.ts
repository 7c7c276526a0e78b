/** Media on the class's peer connections: local tracks, who sends to whom, bitrate, quality. */
export { ClassroomMedia, type ClassroomMediaEvents, type ClassroomMediaOptions, type MediaNetwork } from './classroomMedia.js';
export { MediaError, type MediaErrorCode } from './errors.js';
export { type LocalTrack, type MediaDevicesLike } from './capture.js';
export { shouldSendMedia, meshSendRule, type SendRule } from './sendPolicy.js';
export { BitrateController, DEFAULT_UPLINK_BUDGET, FixedUplink, MIN_VIDEO_BITRATE, VIDEO_PRIORITY, type BitrateOptions, type UplinkEstimator } from './bitrate.js';
export { MeasuredUplink, readUplinkSample, type MeasuredUplinkOptions, type UplinkSample } from './measuredUplink.js';
export { classifyTrack, type MediaKind, type TrackSubscribedEvent, type TrackUnsubscribedEvent } from './subscriptions.js';
export { rateQuality, readQualitySample, type ConnectionQuality, type QualityEvent, type QualitySample } from './stats.js';
