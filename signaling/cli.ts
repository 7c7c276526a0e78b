import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import type { IceServerConfig } from '../src/protocol/signaling.js';
import { DEFAULT_LIMITS, type RelayLimits } from './limits.js';
import { startRelay, type Relay, type RelayOptions } from './relay.js';
import { validateSfuServers } from './sfuAssignment.js';

const HELP = `peerclass-signal — the peerclass signaling relay (y-webrtc compatible)

Usage: peerclass-signal [options]

  --host HOST              interface to bind (env HOST, default 127.0.0.1)
  --port PORT              port (env PORT, default 4444; 0 = any free port)
  --stun URL               STUN server for clients (repeatable)
  --turn URL               TURN server for clients (repeatable, e.g. turn:turn.example.org:3478)
  --turn-secret SECRET     coturn static-auth-secret: hand out TURN REST credentials (env TURN_SECRET)
  --turn-ttl SECONDS       lifetime of TURN credentials (default 86400)
  --token-secret SECRET    require an HS256 JWT (topics claim = hashed topics) to subscribe, publish and
                           get TURN credentials (env TOKEN_SECRET)
  --token-public-key FILE  the same with JWTs signed by this key's private half (PEM SPKI or JWK)
  --sfu URL                Janus SFU (WebSocket transport, ws:// or wss://) for lecture mode (repeatable; env
                           PEERCLASS_SFU, comma-separated). With several, each class goes to one by a stable
                           hash of its topic; give every relay process the same list
  --redis URL              share topics with other relays through Redis (env REDIS_URL)
  --cert FILE --key FILE   serve wss/https (e.g. /etc/letsencrypt/live/HOST/fullchain.pem and privkey.pem)
  --static DIR             serve a folder over HTTP (the built classroom app)
  --max-frame BYTES        largest frame (default ${DEFAULT_LIMITS.maxFrameBytes})
  --rate N                 messages per second per connection (default ${DEFAULT_LIMITS.messagesPerSecond})
  --burst N                burst above the rate (default ${DEFAULT_LIMITS.messageBurst})
  --max-topics N           topics per connection (default ${DEFAULT_LIMITS.maxTopicsPerConnection})
  --max-subscribers N      subscribers per topic (default ${DEFAULT_LIMITS.maxSubscribersPerTopic})
  --log-level LEVEL        fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)
  --help                   show this help
`;

/** Parses command-line flags and environment into relay options; throws with a readable message on bad input. */
export function parseRelayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RelayOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string' }, port: { type: 'string' },
      stun: { type: 'string', multiple: true }, turn: { type: 'string', multiple: true },
      'turn-secret': { type: 'string' }, 'turn-ttl': { type: 'string' },
      'token-secret': { type: 'string' }, 'token-public-key': { type: 'string' },
      sfu: { type: 'string', multiple: true },
      redis: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, static: { type: 'string' },
      'max-frame': { type: 'string' }, rate: { type: 'string' }, burst: { type: 'string' },
      'max-topics': { type: 'string' }, 'max-subscribers': { type: 'string' },
      'log-level': { type: 'string' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const int = (name: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${text}"`);
    return n;
  };
  const iceServers: IceServerConfig[] = [
    ...(values.stun ?? []).map((urls) => ({ urls })),
    ...(values.turn ?? []).map((urls) => ({ urls })),
  ];
  if ((values.cert === undefined) !== (values.key === undefined)) throw new Error('--cert and --key go together');
  const limits: Partial<RelayLimits> = {};
  const set = (field: keyof RelayLimits, value: number | undefined) => { if (value !== undefined) limits[field] = value; };
  set('maxFrameBytes', int('max-frame', values['max-frame'], 64));
  set('messagesPerSecond', int('rate', values.rate, 1));
  set('messageBurst', int('burst', values.burst, 1));
  set('maxTopicsPerConnection', int('max-topics', values['max-topics'], 1));
  set('maxSubscribersPerTopic', int('max-subscribers', values['max-subscribers'], 1));
  // Flags win over the environment, as for every other option.
  const sfuServers = values.sfu ?? (env.PEERCLASS_SFU ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  try {
    validateSfuServers(sfuServers);
  } catch (error) {
    throw new Error(`--sfu: ${(error as Error).message}`);
  }
  const tokenSecret = values['token-secret'] ?? env.TOKEN_SECRET;
  const publicKeyFile = values['token-public-key'];
  const options: RelayOptions = {
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port: int('port', values.port ?? env.PORT, 0) ?? 4444,
    iceServers,
    turnSecret: values['turn-secret'] ?? env.TURN_SECRET,
    turnTtlSeconds: int('turn-ttl', values['turn-ttl'], 60),
    redisUrl: values.redis ?? env.REDIS_URL,
    sfuServers,
    staticDir: values.static,
    limits,
    logLevel: (values['log-level'] ?? env.LOG_LEVEL ?? 'info') as LevelWithSilent,
  };
  if (tokenSecret !== undefined) options.token = { secret: tokenSecret };
  else if (publicKeyFile !== undefined) options.token = { publicKey: readFileSync(publicKeyFile, 'utf8') };
  if (values.cert !== undefined && values.key !== undefined) options.tls = { certFile: values.cert, keyFile: values.key };
  return options;
}

/** Runs the relay until SIGTERM/SIGINT, then closes every connection with 1001 and exits 0. */
export async function main(argv: readonly string[]): Promise<Relay | null> {
  let options: RelayOptions | 'help';
  try {
    options = parseRelayArgs(argv);
  } catch (error) {
    process.stderr.write(`peerclass-signal: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (options === 'help') { process.stdout.write(HELP); return null; }
  const relay = await startRelay(options);
  const stop = (): void => { void relay.close().then(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return relay;
}
