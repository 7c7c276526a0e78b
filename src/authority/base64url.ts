/** The one base64url codec lives in protocol/ (the provider needs it below authority); authority re-exports it. */
export { fromBase64Url, toBase64Url } from '../protocol/base64url.js';
