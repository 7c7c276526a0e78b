import { createHash } from 'node:crypto';

/** Longest SFU URL the relay accepts (and clients accept from a relay). */
export const MAX_SFU_URL_LENGTH = 2048;

/**
 * Checks a list of SFU (Janus WebSocket transport) URLs given to the relay: each must be a ws:// or wss:// URL of at
 * most {@link MAX_SFU_URL_LENGTH} characters, without credentials or fragment (it is handed to every client), and
 * no server may be listed twice. Returns the URLs as given (trimmed).
 * @throws {Error} with a message naming the offending URL.
 */
export function validateSfuServers(urls: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return urls.map((raw) => {
    if (typeof raw !== 'string') throw new Error(`SFU server URLs must be strings, got ${typeof raw}`);
    const text = raw.trim();
    const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
    if (text.length === 0) throw new Error('SFU server URL is empty');
    if (text.length > MAX_SFU_URL_LENGTH) throw new Error(`SFU server URL ${shown} is longer than ${MAX_SFU_URL_LENGTH} characters`);
    let url: URL;
    try { url = new URL(text); } catch { throw new Error(`SFU server URL ${shown} is not a URL (expected e.g. ws://janus.example.org:8188)`); }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`SFU server URL ${shown} must start with ws:// or wss:// (Janus's WebSocket transport), not ${url.protocol}//`);
    if (url.username !== '' || url.password !== '') throw new Error(`SFU server URL ${shown} must not carry credentials: it is handed to every client`);
    if (url.hash !== '') throw new Error(`SFU server URL ${shown} must not have a #fragment`);
    const key = sfuServerKey(text);
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new Error(`SFU server ${shown} is listed twice (also as ${JSON.stringify(earlier)})`);
    seen.set(key, text);
    return text;
  });
}

/** The form of a URL that is hashed: WHATWG-normalized, so `ws://janus-a:8188` and `WS://Janus-A:8188/` are one server. */
function sfuServerKey(url: string): string {
  try { return new URL(url).href; } catch { return url; }
}

/**
 * The rendezvous (highest-random-weight) score of one server for one topic: the first 8 bytes of
 * SHA-256(UTF-8(normalized url) ‖ 0x00 ‖ UTF-8(topic)) as an unsigned 64-bit integer. A URL cannot contain a NUL,
 * so the encoding is unambiguous.
 */
export function sfuScore(topic: string, url: string): bigint {
  return createHash('sha256').update(sfuServerKey(url)).update('\0').update(topic).digest().readBigUInt64BE(0);
}

/**
 * Which SFU serves the class on `topic`: the server with the highest {@link sfuScore} (ties, which need a 64-bit
 * collision, go to the smaller normalized URL). A pure function of the topic and the set of servers — not of their
 * order, of time or of any process state — so every relay process given the same list (also across Redis scale-out)
 * sends a class to the same server, and removing a server moves only the classes it had. Null for an empty list.
 */
export function assignSfu(topic: string, servers: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1n;
  let bestKey = '';
  for (const url of servers) {
    const score = sfuScore(topic, url);
    const key = sfuServerKey(url);
    if (score > bestScore || (score === bestScore && key < bestKey)) { best = url; bestScore = score; bestKey = key; }
  }
  return best;
}
