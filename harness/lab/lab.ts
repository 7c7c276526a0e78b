/**
 * The network lab: a small internet built from Linux network namespaces, veth pairs, nftables and tc, so tests
 * can put real Chromium (or Node) peers behind NATs and firewalls, cut their links and cap their uplinks.
 *
 *   internet ns (198.18.0.1 on lo: relay + coturn; routes between the gateways; default route → sink ns, drops all)
 *     ├── veth 198.18.i.1 ↔ 198.18.i.2 ── gateway ns i (NAT or plain router, nftables) ── veth ── host ns i
 *     └── …                                                   lan 10.i.0.1 (NAT) / 198.19.i.1 (public)
 *
 * Every namespace is named `pclab-<pid>-<random>-<role>`, is tracked by name and deleted (after killing whatever
 * still runs in it) by {@link Lab.close}, on process exit and on SIGTERM/SIGHUP; a later lab also removes namespaces
 * left by a process that no longer exists. The namespaces have no link to the machine's own network stack: nothing
 * the lab does is routed out of the machine. Needs root; without it {@link Lab.create} throws a clear error.
 *
 * Kernel facts (this machine): veth, nf_tables NAT/masquerade, `numgen`, tbf/htb are there; **netem is not**, so the
 * lab cannot add latency or jitter — every link has ~0 ms delay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpawnOptions } from 'node:child_process';
import { spawnTracked, type TrackedProcess } from '../processes.js';
import { run, runSyncQuiet, sleep, tcpOpenIn, tool } from './sh.js';

/**
 * What sits between a host and the lab's internet:
 * - `public`: a plain router, the host has a public (198.19.i.2) address;
 * - `cone`: NAT with nft `masquerade` (endpoint-independent mapping, address-and-port-dependent filtering:
 *   a port-restricted cone NAT);
 * - `symmetric`: nft `masquerade random,fully-random`: a new external port per destination;
 * - `udp-blocked`: cone NAT plus a firewall that drops all UDP and allows TCP only to the relay and TURN ports.
 */
export type NatKind = 'public' | 'cone' | 'symmetric' | 'udp-blocked';

/** The lab's one "server" address in the internet namespace (relay, STUN/TURN). */
export const SERVER_ADDRESS = '198.18.0.1';
export const TURN_PORT = 3478;
export const RELAY_PORT = 4444;

/** Controls of a host's access link (between its gateway and the host). */
export interface LinkControl {
  /**
   * Takes the link down. `carrier` (default): the host's interface loses carrier, as when WiFi drops (the browser
   * sees its network go away). `blackhole`: the interface stays up and the gateway silently drops everything, as
   * when the school's uplink dies.
   */
  down(how?: 'carrier' | 'blackhole'): Promise<void>;
  /** Brings the link back (undoes either kind of {@link down}). */
  up(): Promise<void>;
  readonly isUp: boolean;
  /** Caps the host's uplink (tc tbf on the host's interface); null removes the cap. */
  capUplink(kbitPerSecond: number | null): Promise<void>;
  /** Caps the host's downlink (tc tbf on the gateway's side); null removes the cap. */
  capDownlink(kbitPerSecond: number | null): Promise<void>;
  /** Drops this percentage of packets in each direction at random (nft `numgen random`); 0 removes it. */
  setLoss(percent: number): Promise<void>;
}

export interface LabHost {
  readonly label: string;
  readonly kind: NatKind;
  /** The host's namespace (run browsers and peers here). */
  readonly ns: string;
  /** The gateway (NAT / router / firewall) namespace in front of it. */
  readonly gatewayNs: string;
  /** The host's own address (private behind a NAT). */
  readonly address: string;
  /** The address the internet sees (the NAT's, or the host's own when public). */
  readonly publicAddress: string;
  readonly link: LinkControl;
}

/** Namespaces this process created and has not deleted yet (for exit-time cleanup). */
const liveNamespaces = new Set<string>();
const PREFIX = 'pclab';

function deleteNamespaceSync(ns: string): void {
  const ip = tool('ip');
  for (const pid of runSyncQuiet(ip, ['netns', 'pids', ns]).split(/\s+/).filter((p) => /^\d+$/.test(p))) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone already */ }
  }
  runSyncQuiet(ip, ['netns', 'del', ns]);
  liveNamespaces.delete(ns);
}

function cleanupAllSync(): void {
  for (const ns of [...liveNamespaces]) deleteNamespaceSync(ns);
}

let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', cleanupAllSync);
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    const onSignal = (): void => {
      cleanupAllSync();
      process.off(signal, onSignal);
      // Nobody else handles it: restore the default action (terminate).
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (error) { return (error as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Removes lab namespaces whose creating process is gone (a run killed with SIGKILL cannot clean up itself). */
async function sweepStale(): Promise<string[]> {
  const list = await run(tool('ip'), ['netns', 'list']);
  const stale: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}-(\\d+)-`).exec(name);
    if (match !== null && Number(match[1]) !== process.pid && !alive(Number(match[1]))) stale.push(name);
  }
  for (const ns of stale) deleteNamespaceSync(ns);
  return stale;
}

/** Fails with a readable message when the lab cannot run here (never a silent skip). */
export function assertLabPossible(): void {
  if (process.platform !== 'linux') throw new Error('network lab: needs Linux network namespaces');
  if (process.getuid?.() !== 0) {
    throw new Error('network lab: needs root (it creates network namespaces, veth pairs and nftables rules). '
      + 'Run the lab tests as root, as CI and the dev sessions do: `sudo npx vitest run test/lab`.');
  }
  for (const name of ['ip', 'nft', 'tc', 'turnserver']) tool(name);
}

/** A network lab. Create with {@link Lab.create}; always {@link Lab.close} it (in `finally` / `afterAll`). */
export class Lab {
  readonly id: string;
  /** The internet namespace: routes between gateways and holds {@link SERVER_ADDRESS}. */
  readonly internetNs: string;
  /** Where packets to addresses outside the lab go to be dropped (see {@link Lab.create}). */
  readonly sinkNs: string;
  /** Scratch folder for this lab (wrapper scripts, coturn logs); removed on close. */
  readonly dir: string;
  readonly hosts: LabHost[] = [];
  private readonly namespaces: string[] = [];
  private hostCount = 0;
  private readonly processes = new Set<TrackedProcess>();
  private readonly closers: Array<() => Promise<void>> = [];
  private closed = false;
  private readonly ip = tool('ip');

  private constructor(id: string) {
    this.id = id;
    this.internetNs = `${id}-inet`;
    this.sinkNs = `${id}-sink`;
    this.dir = mkdtempSync(join(tmpdir(), `${id}-`));
  }

  /** Builds the internet namespace. Throws (clearly) without root or without the tools. */
  static async create(): Promise<Lab> {
    assertLabPossible();
    installExitHooks();
    await sweepStale();
    const random = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0')).join('');
    const lab = new Lab(`${PREFIX}-${process.pid}-${random}`);
    try {
      await lab.addNamespace(lab.internetNs);
      await lab.ipIn(lab.internetNs, 'addr', 'add', `${SERVER_ADDRESS}/32`, 'dev', 'lo');
      await lab.sysctl(lab.internetNs, 'net.ipv4.ip_forward=1');
      // Like the real internet, packets to addresses nobody has (a peer's private host candidate, the machine's DNS
      // server) vanish silently: the default route leads into a sink namespace that drops everything. Without it
      // sends from the internet namespace fail at once (ENETUNREACH), and coturn closes a TURN session whose relay
      // socket gets such an error — something no real network does.
      await lab.addNamespace(lab.sinkNs);
      await lab.ipIn(lab.internetNs, 'link', 'add', 'sink', 'type', 'veth', 'peer', 'name', 'sink', 'netns', lab.sinkNs);
      await lab.ipIn(lab.internetNs, 'addr', 'add', '198.19.255.1/30', 'dev', 'sink');
      await lab.ipIn(lab.internetNs, 'link', 'set', 'sink', 'up');
      await lab.ipIn(lab.sinkNs, 'addr', 'add', '198.19.255.2/30', 'dev', 'sink');
      await lab.ipIn(lab.sinkNs, 'link', 'set', 'sink', 'up');
      await lab.ipIn(lab.internetNs, 'route', 'add', 'default', 'via', '198.19.255.2');
      await lab.nft(lab.sinkNs, 'table inet sink {\n chain pre {\n  type filter hook prerouting priority -300; policy drop;\n }\n}\n');
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
  }

  /** Every namespace of this lab, in creation order. */
  get namespaceNames(): readonly string[] { return this.namespaces; }

  /** Adds a host behind a gateway of the given kind. */
  async addHost(label: string, kind: NatKind): Promise<LabHost> {
    this.assertOpen();
    const i = ++this.hostCount;
    if (i > 250) throw new Error('network lab: at most 250 hosts');
    const gw = `${this.id}-g${i}`;
    const ns = `${this.id}-h${i}`;
    await this.addNamespace(gw);
    await this.addNamespace(ns);
    // internet ↔ gateway
    await this.ipIn(this.internetNs, 'link', 'add', `w${i}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', gw);
    await this.ipIn(this.internetNs, 'addr', 'add', `198.18.${i}.1/24`, 'dev', `w${i}`);
    await this.ipIn(this.internetNs, 'link', 'set', `w${i}`, 'up');
    await this.ipIn(gw, 'addr', 'add', `198.18.${i}.2/24`, 'dev', 'wan');
    await this.ipIn(gw, 'link', 'set', 'wan', 'up');
    await this.ipIn(gw, 'route', 'add', 'default', 'via', `198.18.${i}.1`);
    // gateway ↔ host
    const nat = kind !== 'public';
    const lan = nat ? `10.${i}.0` : `198.19.${i}`;
    await this.ipIn(gw, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await this.ipIn(gw, 'addr', 'add', `${lan}.1/24`, 'dev', 'lan');
    await this.ipIn(gw, 'link', 'set', 'lan', 'up');
    await this.ipIn(ns, 'addr', 'add', `${lan}.2/24`, 'dev', 'eth0');
    await this.ipIn(ns, 'link', 'set', 'eth0', 'up');
    await this.ipIn(ns, 'route', 'add', 'default', 'via', `${lan}.1`);
    if (!nat) await this.ipIn(this.internetNs, 'route', 'add', `${lan}.0/24`, 'via', `198.18.${i}.2`);
    await this.sysctl(gw, 'net.ipv4.ip_forward=1');
    await this.nft(gw, gatewayRules(kind));

    let state: 'up' | 'carrier' | 'blackhole' = 'up';
    const link: LinkControl = {
      get isUp() { return state === 'up'; },
      down: async (how = 'carrier') => {
        if (state !== 'up') await link.up();
        if (how === 'carrier') await this.ipIn(gw, 'link', 'set', 'lan', 'down');
        else await this.nft(gw, 'table inet lab_cut {\n chain cutfwd { type filter hook forward priority -20; policy drop; }\n'
          + ' chain cutin { type filter hook input priority -20; iifname "lan" drop; }\n}\n');
        state = how;
      },
      up: async () => {
        if (state === 'carrier') {
          await this.ipIn(gw, 'link', 'set', 'lan', 'up');
          // Carrier loss keeps addresses and routes; make sure the default route is there all the same.
          await this.ipIn(ns, 'route', 'replace', 'default', 'via', `${lan}.1`);
        } else if (state === 'blackhole') {
          await this.nftDeleteTable(gw, 'inet', 'lab_cut');
        }
        state = 'up';
      },
      capUplink: (kbit) => this.cap(ns, 'eth0', kbit),
      capDownlink: (kbit) => this.cap(gw, 'lan', kbit),
      setLoss: async (percent) => {
        await this.nftDeleteTable(gw, 'inet', 'lab_loss');
        if (percent <= 0) return;
        if (!(percent < 100)) throw new Error('loss must be below 100 %');
        await this.nft(gw, `table inet lab_loss {\n chain lossfwd {\n  type filter hook forward priority -10; policy accept;\n`
          + `  numgen random mod 1000 < ${Math.round(percent * 10)} drop\n }\n}\n`);
      },
    };
    const host: LabHost = {
      label, kind, ns, gatewayNs: gw, address: `${lan}.2`, publicAddress: nat ? `198.18.${i}.2` : `${lan}.2`, link,
    };
    this.hosts.push(host);
    return host;
  }

  /** Starts a tracked process inside `ns` (`ip netns exec` execs it, so the PID is the process's own). */
  spawnIn(ns: string, command: string, args: readonly string[], options: SpawnOptions = {}): TrackedProcess {
    this.assertOpen();
    const proc = spawnTracked(this.ip, ['netns', 'exec', ns, command, ...args], options);
    this.processes.add(proc);
    proc.child.once('exit', () => this.processes.delete(proc));
    return proc;
  }

  /** Runs a command inside `ns` to completion. */
  exec(ns: string, command: string, args: readonly string[], input?: string): Promise<string> {
    return run(this.ip, ['netns', 'exec', ns, command, ...args], input);
  }

  /** Waits until host:port accepts TCP, as seen from inside `ns` (default: the internet namespace). */
  async waitForTcp(host: string, port: number, ns: string = this.internetNs, timeoutMs = 15_000, what = `${host}:${port}`): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await tcpOpenIn(ns, host, port))) {
      if (Date.now() > deadline) throw new Error(`network lab: nothing listening on ${what} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Registers a cleanup that {@link close} runs first (browsers, services), newest first. */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  /** Closes browsers and services, stops every tracked process, kills what is left in the namespaces, deletes them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const closer of this.closers.reverse()) {
      try { await withTimeout(closer(), 10_000); } catch (error) { errors.push(error); }
    }
    await Promise.all([...this.processes].map((p) => p.stop(2000).catch((e: unknown) => { errors.push(e); })));
    for (const ns of [...this.namespaces].reverse()) deleteNamespaceSync(ns);
    rmSync(this.dir, { recursive: true, force: true });
    const left = (await run(this.ip, ['netns', 'list'])).split('\n').filter((l) => l.startsWith(this.id));
    if (left.length > 0) throw new Error(`network lab: namespaces left behind: ${left.join(', ')}`);
    if (errors.length > 0) console.warn('network lab: errors while closing', errors);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('network lab: already closed');
  }

  private async addNamespace(ns: string): Promise<void> {
    liveNamespaces.add(ns);
    this.namespaces.push(ns);
    await run(this.ip, ['netns', 'add', ns]);
    await this.ipIn(ns, 'link', 'set', 'lo', 'up');
  }

  private ipIn(ns: string, ...args: string[]): Promise<string> {
    return run(this.ip, ['-n', ns, ...args]);
  }

  private sysctl(ns: string, setting: string): Promise<string> {
    return this.exec(ns, tool('sysctl'), ['-qw', setting]);
  }

  private nft(ns: string, ruleset: string): Promise<string> {
    return this.exec(ns, tool('nft'), ['-f', '-'], ruleset);
  }

  private async nftDeleteTable(ns: string, family: string, table: string): Promise<void> {
    const tables = await this.exec(ns, tool('nft'), ['list', 'tables']);
    if (tables.split('\n').some((l) => l.trim() === `table ${family} ${table}`)) await this.exec(ns, tool('nft'), ['delete', 'table', family, table]);
  }

  private async cap(ns: string, dev: string, kbit: number | null): Promise<void> {
    const tc = tool('tc');
    if (kbit === null) {
      await this.exec(ns, tc, ['qdisc', 'del', 'dev', dev, 'root']).catch(() => '');
      return;
    }
    // Bucket: ~20 ms at rate (at least 3 full-size packets); queue: up to 100 ms of data before tail drop.
    const burstBytes = Math.max(4500, Math.round((kbit * 1000 / 8) * 0.02));
    await this.exec(ns, tc, ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burstBytes), 'latency', '100ms']);
  }
}

/** The gateway's nftables ruleset for a NAT kind (see {@link NatKind}). */
export function gatewayRules(kind: NatKind): string {
  const masquerade = kind === 'public' ? '' : kind === 'symmetric' ? 'oifname "wan" masquerade random,fully-random' : 'oifname "wan" masquerade';
  const outbound = kind === 'udp-blocked'
    ? `  iifname "lan" oifname "wan" meta l4proto udp drop\n`
      + `  iifname "lan" oifname "wan" ip daddr ${SERVER_ADDRESS} tcp dport { ${RELAY_PORT}, ${TURN_PORT} } accept\n`
      + `  iifname "lan" oifname "wan" meta l4proto icmp accept\n`
    : '  iifname "lan" oifname "wan" accept\n';
  const inbound = kind === 'public' ? '  iifname "wan" oifname "lan" accept\n' : '';
  return `table inet lab {
 chain input {
  type filter hook input priority filter; policy accept;
  # Unsolicited packets to the gateway itself are dropped before conntrack confirms them: a confirmed entry would
  # take the external port a host behind the NAT later needs (the NAT would then pick another one).
  iifname "wan" ct state new drop
 }
 chain forward {
  type filter hook forward priority filter; policy drop;
  ct state established,related accept
${outbound}${inbound} }
}
${masquerade === '' ? '' : `table ip nat {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n  ${masquerade}\n }\n}\n`}`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
