import { freePort, spawnTracked, waitForTcp, type TrackedProcess } from './processes.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly process: TrackedProcess;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server on a free loopback port, with no persistence. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const proc = spawnTracked('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
  await waitForTcp(port);
  return { port, url: `redis://127.0.0.1:${port}`, process: proc, stop: () => proc.stop() };
}
