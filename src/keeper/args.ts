/** Command-line flags of `peerclass-keeper`. */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { parseJoinLink, type JoinLinkParams } from '../authority/joinLink.js';

/** Exit codes of the keeper, documented in `--help` and the README. */
export const EXIT = {
  /** `--help`, or stopped by SIGTERM/SIGINT after flushing. */
  ok: 0,
  /** An unexpected failure (a bug): the stack is logged. */
  failure: 1,
  /** Fix the command line: a bad flag, a bad join link, an unwritable directory, the class already kept there. */
  usage: 2,
  /** The relay could not be reached within `--connect-timeout` at start. */
  relayUnreachable: 3,
  /** The teacher removed the keeper from the class. */
  removed: 4,
} as const;

/** Thrown for input the user must fix; the CLI prints it with the help and exits with {@link EXIT.usage}. */
export class KeeperUsageError extends Error {
  override readonly name = 'KeeperUsageError';
}

/** What the keeper runs with. */
export interface KeeperOptions {
  /** Relay URL(s), ws:// or wss://. */
  signaling: string[];
  /** From the join link. */
  link: JoinLinkParams;
  /** Folder holding the class file (created if missing). */
  dir: string;
  /** Display name other participants see. */
  name: string;
  logLevel: LevelWithSilent;
  /** How long to wait for the first relay connection at start before giving up (ms). */
  connectTimeoutMs: number;
}

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The `--help` text. */
export const HELP = `peerclass-keeper — holds a class for late joiners when nobody else is online

Usage: peerclass-keeper --signaling URL --link JOIN_LINK --dir DATA_DIR [options]

  --signaling URL          relay URL, ws:// or wss:// (repeatable; env PEERCLASS_SIGNALING)
  --link JOIN_LINK         the class's join link (the part after # is enough; env PEERCLASS_LINK)
  --dir DATA_DIR           folder for the class file, created if missing; one keeper per class and folder
  --name NAME              name shown to the class (default "Keeper")
  --connect-timeout SEC    give up if the relay cannot be reached within SEC at start (default 30)
  --log-level LEVEL        fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)
  --help                   show this help

It joins as a student without camera or microphone, stores every change of the class's documents in
DATA_DIR, and serves them to whoever joins next. Logs are JSON lines (pino) on stdout.

Exit codes: 0 stopped by SIGTERM/SIGINT (changes flushed) · 1 unexpected failure · 2 bad flags, bad link or
unwritable DATA_DIR · 3 relay unreachable at start · 4 removed by the teacher.
After a successful start a lost relay is retried forever (with backoff); connected peers keep syncing meanwhile.
`;

/**
 * Parses flags and environment into keeper options, or `'help'`.
 * @throws {KeeperUsageError} with a message naming what to fix.
 */
export function parseKeeperArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): KeeperOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        signaling: { type: 'string', multiple: true }, link: { type: 'string' }, dir: { type: 'string' },
        name: { type: 'string' }, 'connect-timeout': { type: 'string' },
        'log-level': { type: 'string' }, help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new KeeperUsageError((error as Error).message);
  }
  if (values.help === true) return 'help';
  const signaling = values.signaling ?? (env.PEERCLASS_SIGNALING !== undefined ? [env.PEERCLASS_SIGNALING] : []);
  if (signaling.length === 0) throw new KeeperUsageError('--signaling URL is required (the relay, e.g. ws://127.0.0.1:4444)');
  for (const url of signaling) {
    if (!/^wss?:\/\/[^\s]+$/.test(url)) throw new KeeperUsageError(`--signaling must be a ws:// or wss:// URL, got "${url}"`);
  }
  const linkText = values.link ?? env.PEERCLASS_LINK;
  if (linkText === undefined || linkText === '') throw new KeeperUsageError('--link JOIN_LINK is required (the link the teacher shares)');
  let link: JoinLinkParams;
  try {
    link = parseJoinLink(linkText);
  } catch (error) {
    // parseJoinLink's messages already say what is wrong ("join link: missing secret …").
    throw new KeeperUsageError(`bad --link: ${(error as Error).message}`);
  }
  if (values.dir === undefined || values.dir === '') throw new KeeperUsageError('--dir DATA_DIR is required (where the class is stored)');
  const timeoutText = values['connect-timeout'] ?? '30';
  const timeout = Number(timeoutText);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new KeeperUsageError(`--connect-timeout must be a positive number of seconds, got "${timeoutText}"`);
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? 'info';
  if (!(LEVELS as readonly string[]).includes(logLevel)) throw new KeeperUsageError(`--log-level must be one of ${LEVELS.join('|')}, got "${logLevel}"`);
  const name = values.name ?? 'Keeper';
  if (name.trim() === '' || name.length > 64) throw new KeeperUsageError('--name must be 1–64 characters');
  return {
    signaling, link, dir: values.dir, name, logLevel: logLevel as LevelWithSilent,
    connectTimeoutMs: Math.round(timeout * 1000),
  };
}
