/** `peerclass-keeper`: parses flags, runs a {@link Keeper} until SIGTERM/SIGINT, maps failures to exit codes. */
import { pino, type Logger } from 'pino';
import { JoinLinkError } from '../authority/joinLink.js';
import { EXIT, HELP, KeeperUsageError, parseKeeperArgs, type KeeperOptions } from './args.js';
import { RelayUnreachableError, startKeeper } from './keeper.js';
import { KeeperDirError } from './store.js';

/** Exit code for a failure while starting (see {@link EXIT}). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof KeeperUsageError || error instanceof KeeperDirError || error instanceof JoinLinkError) return EXIT.usage;
  if (error instanceof RelayUnreachableError) return EXIT.relayUnreachable;
  return EXIT.failure;
}

/**
 * Runs the keeper. Never returns while it keeps the class: it exits the process with an {@link EXIT} code
 * (0 after SIGTERM/SIGINT, once every update is on disk and the class was left). `--help` returns after printing.
 */
export async function main(argv: readonly string[]): Promise<void> {
  let options: KeeperOptions | 'help';
  try {
    options = parseKeeperArgs(argv);
  } catch (error) {
    // Before a logger exists (the level is a flag): a plain message a person reads, like the relay's.
    process.stderr.write(`peerclass-keeper: ${(error as Error).message}\n\nRun peerclass-keeper --help for usage.\n`);
    process.exit(exitCodeFor(error));
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const log: Logger = pino({ name: 'peerclass-keeper', level: options.logLevel });
  // A signal during start must still leave cleanly; remember it and stop once the keeper exists.
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => { signalled = signal; };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  let keeper;
  try {
    keeper = await startKeeper(options, log);
  } catch (error) {
    const code = exitCodeFor(error);
    if (code === EXIT.failure) log.fatal({ err: error }, 'keeper failed to start');
    else log.fatal({ code }, (error as Error).message);
    // Also on stderr in plain words: it is what a person starting the keeper by hand looks at.
    process.stderr.write(`peerclass-keeper: ${(error as Error).message}\n`);
    log.flush();
    process.exit(code);
  }
  const running = keeper;
  const shutdown = async (signal: NodeJS.Signals): Promise<never> => {
    log.info({ signal }, 'stopping: flushing and leaving the class');
    try {
      await running.stop();
    } catch (error) {
      log.error({ err: error }, 'error while stopping');
      log.flush();
      process.exit(EXIT.failure);
    }
    log.flush();
    process.exit(EXIT.ok);
  };
  onSignal = (signal) => { void shutdown(signal); };
  if (signalled !== null) void shutdown(signalled);
  log.info({ classId: options.link.classId, dir: options.dir }, 'keeping the class');
  const reason = await running.stoppedBySelf;
  log.flush();
  process.exit(reason === 'removed' ? EXIT.removed : EXIT.failure);
}
