/** The lab's servers, run inside its internet namespace: coturn (STUN + TURN) and our signaling relay. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrackedProcess } from '../processes.js';
import { RELAY_PORT, SERVER_ADDRESS, TURN_PORT, type Lab } from './lab.js';
import { tool } from './sh.js';

export interface LabCoturn {
  readonly secret: string;
  readonly stunUrl: string;
  readonly turnUdpUrl: string;
  readonly turnTcpUrl: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** coturn on {@link SERVER_ADDRESS}:{@link TURN_PORT} (UDP and TCP), TURN REST credentials (`use-auth-secret`). */
export async function startCoturn(lab: Lab, secret = 'lab-turn-' + Math.random().toString(36).slice(2)): Promise<LabCoturn> {
  const dir = join(lab.dir, 'coturn');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'turn.log');
  const proc = lab.spawnIn(lab.internetNs, tool('turnserver'), [
    '-n', `--listening-ip=${SERVER_ADDRESS}`, `--relay-ip=${SERVER_ADDRESS}`, `--listening-port=${TURN_PORT}`,
    '--min-port=49160', '--max-port=49400', '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=peerclass.test',
    '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', `--userdb=${join(dir, 'turndb')}`,
    `--log-file=${logFile}`, '--simple-log', `--pidfile=${join(dir, 'turn.pid')}`, '--no-stdout-log',
    // Sessions, allocations and permissions in the log (kept with the lab folder only while it runs).
    ...(process.env.LAB_COTURN_VERBOSE !== undefined ? ['--verbose'] : []),
  ]);
  await lab.waitForTcp(SERVER_ADDRESS, TURN_PORT, lab.internetNs, 15_000, `coturn (${proc.output()})`);
  const base = `${SERVER_ADDRESS}:${TURN_PORT}`;
  return {
    secret, logFile,
    stunUrl: `stun:${base}`, turnUdpUrl: `turn:${base}?transport=udp`, turnTcpUrl: `turn:${base}?transport=tcp`,
    stop: () => proc.stop(),
  };
}

export interface LabRelay {
  /** ws://198.18.0.1:4444 — reachable from every host of the lab. */
  readonly url: string;
  readonly process: TrackedProcess;
  stop(): Promise<void>;
  /** Stops the relay and starts it again with the same flags (its state — topics, subscribers — is lost). */
  restart(): Promise<void>;
}

/**
 * Our relay (bin/peerclass-signal.js) on {@link SERVER_ADDRESS}:{@link RELAY_PORT}. With `coturn`, it hands out
 * the STUN URL and both TURN URLs (UDP, TCP) with fresh TURN REST credentials (`--turn-secret`).
 */
export async function startRelay(lab: Lab, coturn?: LabCoturn): Promise<LabRelay> {
  const args = [resolve('bin/peerclass-signal.js'), '--host', SERVER_ADDRESS, '--port', String(RELAY_PORT), '--log-level', 'warn'];
  if (coturn !== undefined) {
    args.push('--stun', coturn.stunUrl, '--turn', coturn.turnUdpUrl, '--turn', coturn.turnTcpUrl, '--turn-secret', coturn.secret, '--turn-ttl', '3600');
  }
  const start = async (): Promise<TrackedProcess> => {
    const proc = lab.spawnIn(lab.internetNs, process.execPath, args, { cwd: resolve('.') });
    try {
      await lab.waitForTcp(SERVER_ADDRESS, RELAY_PORT, lab.internetNs, 30_000, 'the relay');
    } catch (error) {
      throw new Error(`${(error as Error).message}; relay output: ${proc.output()}`);
    }
    return proc;
  };
  let proc = await start();
  return {
    url: `ws://${SERVER_ADDRESS}:${RELAY_PORT}`,
    get process() { return proc; },
    stop: () => proc.stop(),
    async restart() {
      await proc.stop();
      proc = await start();
    },
  };
}
