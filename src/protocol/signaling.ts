/**
 * Signaling wire format: y-webrtc's JSON topic protocol plus optional peerclass additions
 * (access token on subscribe, `error` replies, `ice-servers`). y-webrtc clients ignore what they do not know.
 */

export interface SubscribeMessage { type: 'subscribe'; topics: string[]; /** peerclass: access token (JWT) */ token?: string }
export interface UnsubscribeMessage { type: 'unsubscribe'; topics: string[] }
export interface PublishMessage { type: 'publish'; topic: string; data: unknown; /** set by the relay: subscriber count */ clients?: number }
export interface PingMessage { type: 'ping' }
export interface PongMessage { type: 'pong' }
/** peerclass: the relay's reply to a message it refused. */
export interface ErrorMessage { type: 'error'; code: SignalingErrorCode; message: string; topic?: string }
/** peerclass: STUN/TURN servers with time-limited credentials, sent by the relay on connect. */
export interface IceServersMessage { type: 'ice-servers'; iceServers: IceServerConfig[] }

export interface IceServerConfig { urls: string | string[]; username?: string; credential?: string }

export type ClientToRelayMessage = SubscribeMessage | UnsubscribeMessage | PublishMessage | PingMessage;
export type RelayToClientMessage = PublishMessage | PongMessage | ErrorMessage | IceServersMessage;

/** Machine-readable reasons in `error` replies. */
export type SignalingErrorCode =
  | 'malformed'          // not JSON, not an object, wrong field types
  | 'binary-unsupported' // a binary frame
  | 'unknown-type'
  | 'too-large'
  | 'rate-limited'
  | 'too-many-topics'
  | 'topic-full'
  | 'unauthorized'       // missing/invalid/expired token, or token does not allow the topic
  | 'internal';
