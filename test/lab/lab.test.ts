// The network lab itself: NAT kinds behave as named, link controls work, nothing is left behind.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/processes.js';
import { Lab, RELAY_PORT, SERVER_ADDRESS, TURN_PORT, type LabHost } from './lab.js';
import { run, tcpOpenIn, tool } from './sh.js';

const PROBE = resolve('test/lab/tools/udpProbe.mjs');
const ECHO_PORTS = [5001, 5002];

interface ProbeResult { seen: Record<string, string | null>; replies: number }

let lab: Lab;
let cone: LabHost;
let symmetric: LabHost;
let open: LabHost;
let blocked: LabHost;

async function probe(host: LabHost, options: { count?: number; ports?: number[] } = {}): Promise<ProbeResult> {
  const out = await lab.exec(host.ns, process.execPath, [PROBE, 'probe', SERVER_ADDRESS, ...(options.ports ?? ECHO_PORTS).map(String), '--count', String(options.count ?? 1), '--local-port', '40000']);
  return JSON.parse(out) as ProbeResult;
}

beforeAll(async () => {
  lab = await Lab.create();
  cone = await lab.addHost('cone', 'cone');
  symmetric = await lab.addHost('sym', 'symmetric');
  open = await lab.addHost('public', 'public');
  blocked = await lab.addHost('blocked', 'udp-blocked');
  const echo = lab.spawnIn(lab.internetNs, process.execPath, [PROBE, 'echo', SERVER_ADDRESS, ...ECHO_PORTS.map(String)]);
  await waitUntil(() => echo.output().includes('ready'), 'the UDP echo servers');
  // TCP listeners on the relay and TURN ports, and one on a port the firewall does not allow.
  for (const port of [RELAY_PORT, TURN_PORT, 8080]) {
    lab.spawnIn(lab.internetNs, process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(${port}, '${SERVER_ADDRESS}')`]);
    await lab.waitForTcp(SERVER_ADDRESS, port);
  }
});
afterAll(async () => { await lab?.close(); });

describe('network lab', () => {
  it('names its namespaces uniquely, each with lo up', async () => {
    expect(lab.namespaceNames.length).toBe(10); // internet, sink, 4 × (gateway, host)
    for (const ns of lab.namespaceNames) {
      expect(ns.startsWith(`pclab-${process.pid}-`)).toBe(true);
      expect(await run(tool('ip'), ['-n', ns, 'link', 'show', 'lo'])).toMatch(/state UNKNOWN|LOWER_UP/);
    }
  });

  it('port-restricted cone NAT keeps one external port for every destination', async () => {
    const { seen } = await probe(cone);
    expect(seen['5001']).toBe(`${cone.publicAddress}:40000`);
    expect(seen['5002']).toBe(`${cone.publicAddress}:40000`);
  });

  it('symmetric NAT maps each destination to its own external port', async () => {
    const { seen } = await probe(symmetric);
    const [a, b] = [seen['5001'], seen['5002']];
    expect(a?.startsWith(`${symmetric.publicAddress}:`)).toBe(true);
    expect(b?.startsWith(`${symmetric.publicAddress}:`)).toBe(true);
    expect(a).not.toBe(b);
  });

  it('a public host is seen with its own address; hosts behind NATs are not reachable from outside', async () => {
    const { seen } = await probe(open);
    expect(seen['5001']).toBe(`${open.address}:40000`);
    expect(open.address).toBe(open.publicAddress);
    // Nothing routes to private addresses, and an unsolicited TCP connection to a NAT's public side is dropped.
    expect(await tcpOpenIn(lab.internetNs, cone.address, 22)).toBe(false);
  });

  it('the UDP-blocked host gets no UDP through, TCP only to the relay and TURN ports', async () => {
    const { replies } = await probe(blocked);
    expect(replies).toBe(0);
    expect(await tcpOpenIn(blocked.ns, SERVER_ADDRESS, TURN_PORT)).toBe(true);
    expect(await tcpOpenIn(blocked.ns, SERVER_ADDRESS, RELAY_PORT)).toBe(true);
    expect(await tcpOpenIn(blocked.ns, SERVER_ADDRESS, 8080)).toBe(false);
    expect(await tcpOpenIn(cone.ns, SERVER_ADDRESS, 8080)).toBe(true);
  });

  it('link down (carrier and blackhole) and up', async () => {
    for (const how of ['carrier', 'blackhole'] as const) {
      await cone.link.down(how);
      expect(cone.link.isUp).toBe(false);
      expect((await probe(cone)).replies).toBe(0);
      expect(await tcpOpenIn(cone.ns, SERVER_ADDRESS, RELAY_PORT)).toBe(false);
      await cone.link.up();
      // A carrier coming back takes a moment (link state, neighbour discovery) under load: allow it a few seconds.
      let replies = 0;
      for (let attempt = 0; attempt < 10 && replies !== 2; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
        replies = (await probe(cone)).replies;
      }
      expect(replies).toBe(2);
    }
  });

  it('random loss drops about the given share of packets', async () => {
    await open.link.setLoss(30);
    // 200 datagrams per port; each reply crosses the lossy link twice: ~49 % of round trips survive.
    const { replies } = await probe(open, { count: 200 });
    await open.link.setLoss(0);
    expect(replies).toBeGreaterThan(400 * 0.49 - 60);
    expect(replies).toBeLessThan(400 * 0.49 + 60);
    expect((await probe(open, { count: 50 })).replies).toBe(100);
  });

  it('uplink cap installs a tbf qdisc and removes it', async () => {
    await cone.link.capUplink(2000);
    expect(await run(tool('ip'), ['netns', 'exec', cone.ns, tool('tc'), 'qdisc', 'show', 'dev', 'eth0'])).toMatch(/tbf .*rate 2Mbit/);
    await cone.link.capUplink(null);
    expect(await run(tool('ip'), ['netns', 'exec', cone.ns, tool('tc'), 'qdisc', 'show', 'dev', 'eth0'])).not.toMatch(/tbf/);
  });

  it('a process that exits without closing its lab still removes its namespaces', async () => {
    const script = `import { Lab } from ${JSON.stringify(resolve('test/lab/lab.ts'))};
const lab = await Lab.create(); await lab.addHost('x', 'cone');
console.log(lab.id); process.exit(3);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, out).toBe(3);
    const id = out.trim().split('\n')[0]!;
    expect(id).toMatch(/^pclab-\d+-/);
    expect(await run(tool('ip'), ['netns', 'list'])).not.toContain(id);
  });
});
