export { startRelay, type Relay, type RelayOptions } from './relay.js';
export { DEFAULT_LIMITS, type RelayLimits } from './limits.js';
export { turnCredentials, iceServersFor, type IceServerOptions } from './iceServers.js';
export type { TokenOptions } from './auth.js';
export { mintRelayToken, relayTopic, type MintRelayTokenOptions } from './tokens.js';
export { parseClientMessage } from './validate.js';
export { assignSfu, sfuScore, validateSfuServers, MAX_SFU_URL_LENGTH } from './sfuAssignment.js';
