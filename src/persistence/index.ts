/** Browser-safe persistence. File persistence is Node-only: import `./file.js` directly. */
export * from './indexeddb.js';
