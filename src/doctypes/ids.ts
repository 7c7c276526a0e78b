/**
 * Ids of entries inside documents (board elements, pages, chat messages, decks). They are stored in the doc,
 * not sent on their own, so they are tuned for size: every element key carries one.
 */

/** Length of a {@link newDocId} id. */
export const DOC_ID_LENGTH = 12;

/**
 * A fresh random id of {@link DOC_ID_LENGTH} base-36 characters. Random rather than counted so that
 * concurrent peers, offline ones included, never collide without coordinating.
 */
export function newDocId(): string {
  const buf = new Uint8Array(9);
  globalThis.crypto.getRandomValues(buf);
  let s = '';
  for (const b of buf) s += b.toString(36).padStart(2, '0');
  // 12 characters from the first 6 random bytes (48 bits): collision-free in practice, and short.
  return s.slice(0, DOC_ID_LENGTH);
}
