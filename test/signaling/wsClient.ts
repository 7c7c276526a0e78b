import { WebSocket, type ClientOptions } from 'ws';

/** A raw ws client for relay tests: queues every text frame as parsed JSON and records how it closed. */
export interface TestClient {
  readonly socket: WebSocket;
  readonly received: unknown[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Resolves with the first received message (including earlier ones) that matches. */
  next<T = Record<string, unknown>>(match: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<T>;
  close(): void;
}

export async function connectClient(url: string, options: ClientOptions = {}): Promise<TestClient> {
  const socket = new WebSocket(url, options);
  const received: unknown[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data, isBinary) => {
    received.push(isBinary ? data : JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }); for (const wake of waiters.splice(0)) wake(); });
  });
  socket.on('error', () => { /* surfaced through `closed` */ });
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
  return {
    socket, received, closed,
    send: (message) => socket.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message)),
    async next<T>(match: (m: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find((m) => typeof m === 'object' && m !== null && !Buffer.isBuffer(m) && match(m as Record<string, unknown>));
        if (found !== undefined) return found as T;
        if (Date.now() > deadline) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(received).slice(0, 500)}`);
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 50); });
      }
    },
    close: () => socket.close(),
  };
}

export const isPublish = (topic: string) => (m: Record<string, unknown>) => m.type === 'publish' && m.topic === topic;
export const isError = (code: string) => (m: Record<string, unknown>) => m.type === 'error' && m.code === code;
