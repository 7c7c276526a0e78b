// The published package, as a consumer gets it: `npm run build`, `npm pack`, the tarball installed into a
// fresh Vite + TypeScript project, README's examples and every public entry type-checked (strict, bundler
// resolution, the package's own .d.ts checked too) and built with Vite, the entries imported in Node, and
// the relay's bin run from the installed package.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createConsumer, pack, readmeExamples, run, tsc, vite } from './consumer.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Uses each subpath entry the way README does, one import per entry (a browser app). */
const subpaths = `import * as Y from 'yjs';
import { PeerclassProvider } from 'peerclass/provider';
import { Classroom } from 'peerclass/classroom';
import { DocumentSet, chatType, pollType } from 'peerclass/doctypes';
import { createJoinLink, createTeacherIdentity, parseJoinLink, randomClassId, randomSecret } from 'peerclass/authority';
import { MemoryNetwork } from 'peerclass/sync';

export async function openClass(): Promise<Classroom> {
  const identity = await createTeacherIdentity();
  const link = createJoinLink('http://127.0.0.1:4444/', { classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey });
  return await Classroom.create({ signaling: 'ws://127.0.0.1:4444', ...parseJoinLink(link), identity, name: 'Ms Rivera' });
}

export function openProvider(doc: Y.Doc): PeerclassProvider {
  return new PeerclassProvider('class-42', doc, { signaling: 'ws://127.0.0.1:4444', secret: 'class secret' });
}

export function poll(): number[] {
  const documents = new DocumentSet(new Y.Doc(), { peerId: 'p1', name: 'Sam', role: 'student' });
  const polls = documents.register(pollType);
  documents.register(chatType);
  const id = polls.open('Which planet is largest?', ['Mars', 'Jupiter']);
  polls.vote(id, 1);
  return polls.current()?.tally ?? [];
}

export const network = MemoryNetwork;
`;

/** Node-only entries: file persistence and the relay. */
const node = `import * as Y from 'yjs';
import { persistToFile, type FilePersistence } from 'peerclass/persistence/file';
import { startRelay, type Relay } from 'peerclass/signaling';

export function keep(doc: Y.Doc, path: string): FilePersistence {
  return persistToFile(doc, path);
}

export async function relay(): Promise<Relay> {
  return await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
}
`;

/** Imports every entry in Node from the installed package and checks a few named exports. */
const importAll = `const checks = {
  'peerclass': ['PeerclassProvider', 'Classroom', 'DocumentSet', 'pollType', 'createJoinLink'],
  'peerclass/provider': ['PeerclassProvider'],
  'peerclass/classroom': ['Classroom'],
  'peerclass/doctypes': ['DocumentSet', 'defineDocType'],
  'peerclass/authority': ['createTeacherIdentity', 'parseJoinLink'],
  'peerclass/sync': ['MemoryNetwork'],
  'peerclass/persistence/file': ['persistToFile'],
  'peerclass/signaling': ['startRelay'],
};
for (const [entry, names] of Object.entries(checks)) {
  const module = await import(entry);
  for (const name of names) if (module[name] === undefined) throw new Error(entry + ' does not export ' + name);
}
console.log('imported ' + Object.keys(checks).length + ' entries');
`;

describe('the npm package', () => {
  it('packs, installs into a fresh Vite + TypeScript project, type-checks and builds README\'s examples', { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerclass-pack-'));
    try {
      run('npm', ['run', 'build', '--', '--if-stale'], root);
      const packed = pack(root, dir);

      // The tarball: compiled entries with their declarations, the bin, the docs; no sources or tests.
      const paths = packed.files.map((f) => f.path);
      for (const [subpath, target] of Object.entries(packed.manifest.exports)) {
        if (typeof target === 'string') continue;
        expect(paths, `exports['${subpath}']`).toContain(target.import.replace(/^\.\//, ''));
        expect(paths, `exports['${subpath}']`).toContain(target.types.replace(/^\.\//, ''));
      }
      expect(Object.keys(packed.manifest.exports)).toEqual(expect.arrayContaining(['.', './provider', './classroom', './persistence/file', './signaling']));
      expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'PROTOCOL.md', 'bin/peerclass-signal.js']));
      expect(paths.filter((p) => /^(src|signaling|test|bench|demo|scripts)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);

      const examples = readmeExamples(root);
      expect(examples.length).toBeGreaterThanOrEqual(3);
      const sources: Record<string, string> = { 'subpaths.ts': subpaths, 'node.ts': node };
      examples.forEach((code, i) => { sources[`readme${i}.ts`] = code; });
      sources['main.ts'] = [...examples.map((_, i) => `import './readme${i}.js';`), `import './subpaths.js';`, ''].join('\n');
      const project = join(dir, 'consumer');
      createConsumer(root, project, packed, sources);

      // Strict type-check of everything, our .d.ts included (skipLibCheck: false).
      tsc(project);

      // A browser build of README's examples and the browser entries, and a Node (SSR) build of the Node ones.
      vite(project, ['--outDir', 'dist']);
      expect(existsSync(join(project, 'dist/index.html'))).toBe(true);
      const assets = readdirSync(join(project, 'dist/assets')).filter((f) => f.endsWith('.js'));
      expect(assets.length).toBeGreaterThan(0);
      expect(readFileSync(join(project, 'dist/index.html'), 'utf8')).toMatch(/assets\/[^"]+\.js/);
      vite(project, ['--ssr', 'src/node.ts', '--outDir', 'dist-node']);
      expect(existsSync(join(project, 'dist-node/node.js'))).toBe(true);

      // Node resolves every entry of the exports map from the installed package at run time.
      expect(run(process.execPath, ['--input-type=module', '-e', importAll], project)).toContain('imported 8 entries');

      // The bin runs the compiled relay (the installed package has no TypeScript sources).
      expect(run(process.execPath, [join(project, 'node_modules/.bin/peerclass-signal'), '--help'], project)).toContain('peerclass-signal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
