import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import type { RtcImplementation } from '../../src/transport/peerConnection.js';
import type { WebSocketConstructorLike } from '../../src/transport/signalingClient.js';

/** WebRTC for Node peers (@roamhq/wrtc), typed as the library's injection point. */
export const nodeRtc = wrtc as unknown as RtcImplementation;
/** `ws`'s WebSocket (Node 20 has no global one), typed as the library's injection point. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructorLike;
