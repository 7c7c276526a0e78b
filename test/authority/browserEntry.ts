// Browser side of browser.test.ts: exposes the authority API and yjs on window.
import * as Y from 'yjs';
import * as authority from '../../src/authority/index.js';

(window as unknown as { peerAuth: unknown }).peerAuth = { ...authority, Y };
