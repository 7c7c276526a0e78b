import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTracked, waitForTcp, type TrackedProcess } from './processes.js';

export interface Coturn {
  readonly port: number;
  readonly secret: string;
  readonly realm: string;
  readonly process: TrackedProcess;
  stop(): Promise<void>;
}

/** Starts a loopback-only coturn with TURN REST (use-auth-secret) credentials, per ../shared/ENVIRONMENT.md. */
export async function startCoturn(secret = 'turn-test-secret'): Promise<Coturn> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'peerclass-turn-'));
  const realm = 'peerclass.test';
  const proc = spawnTracked('turnserver', [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--min-port=49160', '--max-port=49200', '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${realm}`,
    '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers', '--fingerprint', `--userdb=${join(dir, 'turndb')}`,
    `--log-file=${join(dir, 'turn.log')}`, '--simple-log', `--pidfile=${join(dir, 'turn.pid')}`, '--no-stdout-log',
  ]);
  await waitForTcp(port);
  return {
    port, secret, realm, process: proc,
    async stop() { await proc.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}
