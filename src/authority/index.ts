export * from './identity.js';
export * from './joinLink.js';
export * from './control.js';
export { toBase64Url, fromBase64Url } from './base64url.js';
export * from './controlState.js';
export * from './teacherProof.js';
