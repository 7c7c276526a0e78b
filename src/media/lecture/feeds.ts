/** A fresh feed id for the SFU room. */
export function randomFeedId(): number {
  const bytes = new Uint32Array(2);
  globalThis.crypto.getRandomValues(bytes);
  // 48 bits: unguessable before it is announced, and an exact JavaScript number.
  return (bytes[0]! & 0xffff) * 2 ** 32 + bytes[1]! + 1;
}

/** Whether two track lists are the same tracks in the same order. */
export function sameTracks(a: readonly MediaStreamTrack[], b: readonly MediaStreamTrack[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
