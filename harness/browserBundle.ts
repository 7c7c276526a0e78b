import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const cache = new Map<string, Promise<string>>();

/**
 * Bundles a TypeScript/JS entry for the browser as one ES module (cached per entry).
 * Use `globalName` style exports via `window.x = ...` in the entry.
 */
export function bundleForBrowser(entry: string): Promise<string> {
  let bundled = cache.get(entry);
  if (bundled === undefined) {
    bundled = build({
      entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
      write: false, sourcemap: 'inline', logLevel: 'silent',
    }).then((result) => result.outputFiles[0]!.text);
    cache.set(entry, bundled);
  }
  return bundled;
}

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves in-memory files on http://127.0.0.1:PORT (a secure context, so WebCrypto and getUserMedia work).
 * `files` maps a path like '/index.html' to its content.
 */
export async function servePages(files: Record<string, string | Uint8Array>): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = files[path === '/' ? '/index.html' : path];
    if (body === undefined) { res.writeHead(404).end(); return; }
    const type = path.endsWith('.js') ? 'text/javascript' : path.endsWith('.pdf') ? 'application/pdf' : 'text/html';
    res.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
