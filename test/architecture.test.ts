import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape README's architecture sketch promises, checked on every run: imports point down the layers only, no
 * source file outgrows 400 lines, and the app uses only the package's public entries.
 */

const root = new URL('..', import.meta.url).pathname;

/** Layer of each src/ folder, bottom up; folders on one level must not import each other. */
const LAYER: Record<string, number> = {
  protocol: 0, identity: 0.5, sync: 1, topology: 2, transport: 3, provider: 4, authority: 5, doctypes: 6, media: 6, persistence: 6, classroom: 7, keeper: 8,
};

function files(dir: string, extensions: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...files(path, extensions));
    else if (extensions.some((e) => name.endsWith(e))) out.push(path);
  }
  return out;
}

function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
}

describe('architecture', () => {
  it('imports in src/ point down the layers (never up, never sideways)', () => {
    const violations: string[] = [];
    for (const file of files('src', ['.ts'])) {
      const fromFolder = relative('src', file).split('/')[0]!;
      if (!(fromFolder in LAYER)) continue; // src/index.ts is the root entry and may name anything
      for (const spec of relativeImports(readFileSync(join(root, file), 'utf8'))) {
        const target = relative('src', normalize(join(dirname(file), spec)));
        const toFolder = target.split('/')[0]!;
        if (target.startsWith('..')) violations.push(`${file} imports outside src/: ${spec}`);
        else if (toFolder !== fromFolder && (LAYER[toFolder] ?? Infinity) >= LAYER[fromFolder]!) violations.push(`${file} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('protocol/ imports nothing of ours but itself', () => {
    for (const file of files('src/protocol', ['.ts'])) {
      for (const spec of relativeImports(readFileSync(join(root, file), 'utf8'))) expect(spec, file).toMatch(/^\.\/[^/]+$/);
    }
  });

  it('no file in src/, signaling/ or demo/src/ is over 400 lines', () => {
    const long = [...files('src', ['.ts']), ...files('signaling', ['.ts']), ...files('demo/src', ['.ts', '.vue'])]
      .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('the demo uses only the public entries: no internals, no casts around the API', () => {
    const offences: string[] = [];
    for (const file of files('demo/src', ['.ts', '.vue'])) {
      const source = readFileSync(join(root, file), 'utf8');
      for (const [pattern, what] of [
        [/from '\.\.\/(\.\.\/)*src\//, 'imports src/ by path'],
        [/as unknown as/, 'casts through unknown'],
        [/as never/, 'casts to never'],
        [/\.engine\b/, 'reaches the sync engine'],
        [/\.pc\b/, 'reaches an RTCPeerConnection'],
        [/\.provider\b/, 'reaches the concrete provider'],
      ] as const) if (pattern.test(source)) offences.push(`${file} ${what}`);
      for (const m of source.matchAll(/from '(peerclass[^']*)'/g)) if (m[1] !== 'peerclass') offences.push(`${file} imports ${m[1]} (the demo is aliased to the root entry)`);
    }
    expect(offences).toEqual([]);
  });

  it('bench/ does not import test helpers and tests do not import bench/ (both share harness/)', () => {
    for (const file of files('bench', ['.ts'])) expect(readFileSync(join(root, file), 'utf8'), file).not.toMatch(/from '\.\.\/(\.\.\/)?test\//);
    for (const file of files('test', ['.ts'])) expect(readFileSync(join(root, file), 'utf8'), file).not.toMatch(/from '\.\.\/(\.\.\/)?bench\//);
  });
});
