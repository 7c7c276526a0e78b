import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { build } from 'vite';
import { startRelay } from '../../signaling/index.js';
import type { Relay, RelayOptions } from '../../signaling/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { waitUntil } from '../helpers/processes.js';

export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'demo');
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * The built classroom app served by a relay, and a browser. The app is built into a private folder, never into
 * demo/dist, which test/demo/lesson.test.ts empties and rebuilds, maybe at the same time in another worker.
 */
export class AppHarness {
  relay!: Relay;
  browser!: Browser;
  readonly dir = mkdtempSync(join(tmpdir(), 'peerclass-app-'));
  private readonly contexts: BrowserContext[] = [];
  private readonly extraRelays: Relay[] = [];

  async start(): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    process.env.PEERCLASS_VITE_LOG = 'silent';
    await build({ configFile: join(process.cwd(), 'demo/vite.config.ts'), logLevel: 'silent', build: { outDir: this.dir, emptyOutDir: true } });
    this.relay = await this.startRelay();
    this.browser = await launchChromium();
  }

  /** Another relay serving the same app (e.g. with tighter limits). */
  async startRelay(options: Partial<RelayOptions> = {}): Promise<Relay> {
    const relay = await startRelay({ staticDir: this.dir, port: 0, host: '127.0.0.1', logLevel: 'silent', processMetrics: false, ...options });
    if (this.relay !== undefined) this.extraRelays.push(relay);
    return relay;
  }

  async stop(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => undefined);
    await this.browser?.close();
    for (const r of this.extraRelays) await r.close().catch(() => undefined);
    await this.relay?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport: VIEWPORT, ...options });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    // Remove, end class and the like ask for confirmation.
    page.on('dialog', (d) => void d.accept());
    return page;
  }

  /** A teacher starts a class; returns the page and the join link. */
  async startClass(name: string, title = 'Class', base = this.relay.httpUrl): Promise<{ teacher: Page; link: string }> {
    const teacher = await this.newPage();
    await teacher.goto(base);
    await teacher.fill('[data-testid=teacher-name]', name);
    await teacher.fill('[data-testid=class-title]', title);
    await teacher.click('[data-testid=start-class]');
    await teacher.waitForSelector('[data-testid=classroom][data-role=teacher]');
    return { teacher, link: await teacher.inputValue('[data-testid=join-link]') };
  }

  /** A student opens the link and joins under `name`. */
  async join(link: string, name: string, options: BrowserContextOptions = {}, page?: Page): Promise<Page> {
    const p = page ?? await this.newPage(options);
    await p.goto(link);
    await p.fill('[data-testid=student-name]', name);
    await p.click('[data-testid=join-class]');
    await p.waitForSelector('[data-testid=classroom][data-role=student]');
    return p;
  }

  /** Teacher plus students, waiting until every student reaches the teacher. */
  async lesson(teacherName: string, students: string[], title = 'Class'): Promise<{ teacher: Page; students: Page[]; link: string }> {
    const { teacher, link } = await this.startClass(teacherName, title);
    const pages: Page[] = [];
    for (const name of students) pages.push(await this.join(link, name));
    await waitUntil(async () => (await Promise.all([teacher, ...pages].map(peersOf))).every((n) => n >= 1), 'students reach the teacher', 30_000);
    await waitUntil(async () => (await teacher.locator('[data-testid=participant]').count()) === students.length + 1, 'the teacher sees everyone', 20_000);
    return { teacher, students: pages, link };
  }
}

export async function peersOf(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-testid=status]', 'data-peers'));
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}
