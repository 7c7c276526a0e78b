import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort, spawnTracked, type TrackedProcess } from './processes.js';

/** A Janus the test owns, on loopback only. */
export interface JanusServer {
  /** `ws://127.0.0.1:PORT` — the Janus API over WebSocket (subprotocol `janus-protocol`). */
  readonly url: string;
  readonly pid: number;
  /** The only address Janus offers ICE candidates on (see {@link iceAddress}). */
  readonly iceAddress: string;
  readonly process: TrackedProcess;
  /** Everything Janus logged so far (for failure messages). */
  log(): string;
  /** Stops Janus (SIGTERM, then SIGKILL) and removes its config folder. */
  stop(): Promise<void>;
}

export interface StartJanusOptions {
  /** Janus debug level 0–7 (default 4: info, enough to see why a request was refused). */
  debugLevel?: number;
  /** Seconds without any request (keepalive included) before Janus destroys a session (default 60, as Janus). */
  sessionTimeoutSeconds?: number;
  /** How long to wait for the WebSocket port (default 15 s). */
  startTimeoutMs?: number;
}

const JANUS = process.env.JANUS_PATH ?? '/usr/bin/janus';
const LIB = '/usr/lib/x86_64-linux-gnu/janus';
// Everything the Debian package ships except the VideoRoom plugin and the WebSocket transport: each one left enabled
// would load its own config, and some (http, pfunix, the SIP stack) bind ports or sockets of their own.
const OTHER_PLUGINS = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'voicemail'];
const OTHER_TRANSPORTS = ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq'];
const libs = (names: string[]) => names.map((n) => `libjanus_${n}.so`).join(',');

/** The config files for one loopback Janus (exported so a bench or a doc can show what runs). */
export function janusConfig(dir: string, wsPort: number, rtpRange: string, iceAddress: string, options: StartJanusOptions = {}): Record<string, string> {
  return {
    'janus.jcfg': `general: {
  configs_folder = "${dir}"
  plugins_folder = "${LIB}/plugins"
  transports_folder = "${LIB}/transports"
  events_folder = "${LIB}/events"
  loggers_folder = "${LIB}/loggers"
  debug_level = ${options.debugLevel ?? 4}
  session_timeout = ${options.sessionTimeoutSeconds ?? 60}
  server_name = "peerclass-test"
  interface = "${iceAddress}"
}
certificates: {
}
media: {
  rtp_port_range = "${rtpRange}"
}
nat: {
  nice_debug = false
  # One host candidate on this machine's own address (see iceAddress()); no STUN, no IPv6.
  ice_enforce_list = "${iceAddress}"
}
plugins: {
  disable = "${libs(OTHER_PLUGINS)}"
}
transports: {
  disable = "${libs(OTHER_TRANSPORTS)}"
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
events: {
  broadcast = false
}
`,
    'janus.plugin.videoroom.jcfg': `general: {
  # No preconfigured rooms: the classroom creates its own (non-permanent) ones.
}
`,
    'janus.transport.websockets.jcfg': `general: {
  json = "compact"
  ws = true
  ws_port = ${wsPort}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
  };
}

/**
 * The address Janus gathers its ICE candidate on. Not 127.0.0.1: Janus 1.1.2 skips loopback interfaces when it
 * enumerates addresses (ice.c checks IFF_LOOPBACK), so `ice_enforce_list = "127.0.0.1"` matches nothing and libnice
 * then gathers on every other address, IPv6 included (seen here: 192.0.2.2, fd00::2, fe80::…). We enforce the
 * machine's first non-internal IPv4 address instead: packets to one's own address never leave the host (the kernel
 * delivers them over lo), and Chromium pairs its candidate on the same address with it. JANUS_ICE_ADDRESS overrides.
 */
export function iceAddress(): string {
  const fromEnv = process.env.JANUS_ICE_ADDRESS;
  if (fromEnv) return fromEnv;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('Janus needs a non-loopback IPv4 address for ICE (it never gathers on loopback); none found — set JANUS_ICE_ADDRESS');
}

/** Resolves when a WebSocket upgrade with subprotocol janus-protocol on 127.0.0.1:port gets a 101. */
async function answersWebSocket(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n`,
    ));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(/^HTTP\/1\.1 101/.test(reply));
    });
  });
}

/**
 * Starts Janus (VideoRoom + WebSocket transport only; the API on 127.0.0.1, media on {@link iceAddress}) with a config folder written into a fresh temp
 * folder, waits until its WebSocket API answers, and tracks it by PID so it dies with the test process at the latest.
 */
export async function startJanus(options: StartJanusOptions = {}): Promise<JanusServer> {
  const address = iceAddress();
  const dir = mkdtempSync(join(tmpdir(), 'peerclass-janus-'));
  const wsPort = await freePort();
  // A random 500-port window per server so parallel Janus instances (two test workers, a bench) rarely compete.
  const low = 20_000 + 500 * Math.floor(Math.random() * 40);
  for (const [name, text] of Object.entries(janusConfig(dir, wsPort, `${low}-${low + 499}`, address, options))) writeFileSync(join(dir, name), text);
  // -F/-C: our folder and file; -o: no colour codes in the captured log; stdout logging stays on (captured).
  const proc = spawnTracked(JANUS, ['-F', dir, '-C', join(dir, 'janus.jcfg'), '-o']);
  const cleanup = async () => { await proc.stop(); rmSync(dir, { recursive: true, force: true }); };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  try {
    for (;;) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`janus exited (${proc.child.exitCode ?? proc.child.signalCode}) before its WebSocket port ${wsPort} answered`);
      }
      if (await answersWebSocket(wsPort)) break;
      if (Date.now() > deadline) throw new Error(`janus did not answer on ws://127.0.0.1:${wsPort} within ${options.startTimeoutMs ?? 15_000} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    const log = proc.output();
    await cleanup();
    throw new Error(`${(err as Error).message}\n--- janus log (config ${dir}) ---\n${log.slice(-4000)}`);
  }
  return { url: `ws://127.0.0.1:${wsPort}`, pid: proc.pid, iceAddress: address, process: proc, log: proc.output, stop: cleanup };
}
