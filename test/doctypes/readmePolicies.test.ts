// The README's "Write policies" example, executed as written (bundled with 'peerclass' resolved to src/index.ts, as
// test/readme.test.ts does for the other examples).
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import * as Y from 'yjs';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';

const dir = mkdtempSync(join(tmpdir(), 'peerclass-readme-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('README: the write policies example refuses a vote in another student\'s name, and the shipped poll policy matches it', async () => {
  const block = [...readFileSync('README.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('policies.allOf('));
  expect(block).toBeDefined();
  const entry = join(dir, 'block.ts');
  writeFileSync(entry, `${block!}\nexport { verdict, pollPolicy, id, teacher };\n`);
  const out = join(dir, 'block.mjs');
  await build({
    entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent',
    alias: { peerclass: resolve('src/index.ts') }, nodePaths: [resolve('node_modules')], external: ['@roamhq/wrtc', 'ws', 'pdfjs-dist', 'yjs'],
  });
  const example = await import(pathToFileURL(out).href) as {
    verdict: unknown; id: string; teacher: { doc: Y.Doc; gate(): { check(u: Uint8Array, s: { author: string; via: 'routed' }): unknown } };
  };
  expect(example.verdict).toMatchObject({ ok: false, code: 'invalid' });
  // An honest vote of the student passes the same gate.
  const { DocumentSet, pollType } = await import('../../src/index.js');
  const studentDoc = new Y.Doc();
  Y.applyUpdate(studentDoc, Y.encodeStateAsUpdate(example.teacher.doc));
  const student = new DocumentSet(studentDoc, { peerId: 's1', name: 'Sam', role: 'student' }, { policies: { context: { isTeacher: (p) => p === 't1', readOnly: () => false } } });
  const updates: Uint8Array[] = [];
  studentDoc.on('update', (u: Uint8Array) => updates.push(u));
  student.register(pollType).vote(example.id, 1);
  expect(updates.map((u) => example.teacher.gate().check(u, { author: 's1', via: 'routed' }))).toEqual(updates.map(() => ({ ok: true })));
  expect(whiteboardType.definition.policy).toBeDefined();
});
