// Browser side of browser.test.ts: exposes the identity API and the signed-message codecs on window.
import * as identity from '../../src/identity/index.js';
import * as signed from '../../src/protocol/signedMessages.js';

(window as unknown as { peerIdentity: unknown }).peerIdentity = { ...identity, ...signed };
