// Issue 12, tests 1 and 2: a class of real Chromium pages behind NATs, STUN and TURN from coturn, ICE servers and
// TURN credentials handed out by our relay. Which path ICE picked is read from getStats (selected candidate pair).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitUntil } from '../helpers/processes.js';
import { openLabClass, type LabClass } from './browser.js';
import { Lab, type LabHost } from './lab.js';
import type { SelectedPair } from './labPage.js';
import { startCoturn, startRelay, type LabCoturn, type LabRelay } from './services.js';

let lab: Lab;
let coturn: LabCoturn;
let relay: LabRelay;

beforeAll(async () => {
  lab = await Lab.create();
  coturn = await startCoturn(lab);
  relay = await startRelay(lab, coturn);
}, 60_000);
afterAll(async () => { await lab?.close(); }, 60_000);

const pairsOf = (page: Page): Promise<SelectedPair[]> => page.evaluate(() => window.lab.selectedPairs());

/** Waits until every student is linked to the teacher and the teacher to every student. */
async function star(cls: LabClass, students: string[], timeoutMs = 45_000): Promise<void> {
  const teacher = cls.pages.get('t')!;
  await waitUntil(async () => {
    const linked = await teacher.evaluate(() => window.lab.linked());
    if (!students.every((s) => linked.includes(s))) return false;
    for (const s of students) if (!(await cls.pages.get(s)!.evaluate(() => window.lab.linked())).includes('t')) return false;
    return true;
  }, 'every student linked to the teacher', timeoutMs, 250);
}

/** Every page sends one chat message; waits until every page has all of them. */
async function chatConverges(cls: LabClass, timeoutMs = 20_000): Promise<void> {
  const texts: string[] = [];
  for (const [peerId, page] of cls.pages) {
    const text = `hello from ${peerId}`;
    texts.push(text);
    await page.evaluate((t) => window.lab.chat(t), text);
  }
  try {
    await waitUntil(async () => {
      for (const page of cls.pages.values()) {
        const have = await page.evaluate(() => window.lab.chatTexts());
        if (!texts.every((t) => have.includes(t))) return false;
      }
      return true;
    }, 'every chat message on every page', timeoutMs, 200);
  } catch (error) {
    const detail: string[] = [];
    for (const [peerId, page] of cls.pages) {
      detail.push(`${peerId}: ${JSON.stringify(await page.evaluate(async () => ({
        chat: window.lab.chatTexts(), linked: window.lab.linked(), states: window.lab.states, pairs: await window.lab.selectedPairs(),
      })))}`);
    }
    const { readFileSync } = await import('node:fs');
    const turnLog = readFileSync(coturn.logFile, 'utf8').split('\n').filter((l) => /error|denied|forbidden|refused|401|403|438|closed|timeout/i.test(l)).slice(-40);
    throw new Error(`${(error as Error).message}\n${detail.join('\n')}\ncoturn:\n${turnLog.join('\n')}`);
  }
}

/** Selected pairs of every page, waiting until each page has one per linked peer. */
async function selectedPairs(cls: LabClass): Promise<Map<string, SelectedPair[]>> {
  const out = new Map<string, SelectedPair[]>();
  for (const [peerId, page] of cls.pages) {
    let pairs: SelectedPair[] = [];
    await waitUntil(async () => {
      const linked = await page.evaluate(() => window.lab.linked());
      pairs = (await pairsOf(page)).filter((p) => p.state === 'succeeded');
      return linked.every((l) => pairs.some((p) => p.peerId === l));
    }, `${peerId}: a selected pair per connection`, 15_000, 250);
    out.set(peerId, pairs);
  }
  return out;
}

const describePairs = (pairs: Map<string, SelectedPair[]>): string => [...pairs].map(([who, list]) => list.map((p) =>
  `${who}→${p.peerId}: ${p.local.type}/${p.local.relayProtocol ?? p.local.protocol} ${p.local.address}:${p.local.port} ⇄ ${p.remote.type} ${p.remote.address}:${p.remote.port}`).join('\n')).join('\n');

describe('a class across real NATs (Chromium in the network lab)', () => {
  it('teacher and two students behind port-restricted cone NATs connect directly, with STUN from coturn', async () => {
    const hosts: Record<string, LabHost> = {
      t: await lab.addHost('t-cone', 'cone'), s1: await lab.addHost('s1-cone', 'cone'), s2: await lab.addHost('s2-cone', 'cone'),
    };
    const cls = await openLabClass(lab, relay.url, [['t', hosts.t!], ['s1', hosts.s1!], ['s2', hosts.s2!]]);
    const started = Date.now();
    await star(cls, ['s1', 's2']);
    const starMs = Date.now() - started;
    await chatConverges(cls);
    const pairs = await selectedPairs(cls);
    console.log(`[lab] cone NATs: star in ${starMs} ms\n${describePairs(pairs)}`);
    for (const [peerId, list] of pairs) {
      expect(list.length).toBe(peerId === 't' ? 2 : 1);
      for (const pair of list) {
        // Direct through both NATs: our side's NAT mapping (srflx, or prflx learnt in the checks) to theirs.
        expect(['srflx', 'prflx']).toContain(pair.local.type);
        expect(['srflx', 'prflx']).toContain(pair.remote.type);
        expect(pair.local.address).toBe(hosts[peerId]!.publicAddress);
        expect(pair.remote.address).toBe(hosts[pair.peerId]!.publicAddress);
      }
      // The server-reflexive candidates came from coturn, the only STUN server, handed out by the relay.
      const gathered = await cls.pages.get(peerId)!.evaluate(() => window.lab.gathered());
      for (const types of Object.values(gathered)) expect(types).toContain('srflx');
      expect(await cls.pages.get(peerId)!.evaluate(() => window.lab.iceServerUrls())).toContain(coturn.stunUrl);
    }
    await cls.close();
  }, 150_000);

  it('symmetric NATs on both sides work through TURN (credentials from the relay, no forced policy); a UDP-blocked host through TURN over TCP', async () => {
    const hosts: Record<string, LabHost> = {
      t: await lab.addHost('t-sym', 'symmetric'), s1: await lab.addHost('s1-sym', 'symmetric'), s2: await lab.addHost('s2-blocked', 'udp-blocked'),
    };
    const cls = await openLabClass(lab, relay.url, [['t', hosts.t!], ['s1', hosts.s1!], ['s2', hosts.s2!]]);
    const started = Date.now();
    await star(cls, ['s1', 's2'], 60_000);
    const starMs = Date.now() - started;
    await chatConverges(cls);
    const pairs = await selectedPairs(cls);
    console.log(`[lab] symmetric + UDP-blocked: star in ${starMs} ms\n${describePairs(pairs)}`);
    const pair = (from: string, to: string): SelectedPair => pairs.get(from)!.find((p) => p.peerId === to)!;
    // Symmetric ↔ symmetric: no direct path exists; at least one side relays through coturn.
    for (const [a, b] of [['t', 's1'], ['s1', 't']] as const) {
      const p = pair(a, b);
      expect(p.local.type === 'relay' || p.remote.type === 'relay', describePairs(pairs)).toBe(true);
    }
    // The UDP-blocked student reaches TURN over TCP: its local candidate is a relay allocated over TCP.
    expect(pair('s2', 't').local.type).toBe('relay');
    expect(pair('s2', 't').local.relayProtocol).toBe('tcp');
    // The pages were given no ICE servers: the TURN URLs (and credentials) came from the relay.
    for (const page of cls.pages.values()) {
      const urls = await page.evaluate(() => window.lab.iceServerUrls());
      expect(urls).toEqual(expect.arrayContaining([coturn.turnUdpUrl, coturn.turnTcpUrl]));
    }
    await cls.close();
  }, 150_000);
});
