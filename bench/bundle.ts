/**
 * Bundle-size benchmark: what a browser app pays to import each public entry of peerclass, against
 * y-webrtc bundled the same way in the same run. esbuild bundles and minifies each entry for the browser
 * (`export * from` the entry, so all of its public API is kept), yjs external in both, code splitting on
 * so dynamic imports (pdfjs) become lazy chunks. The number is the gzip -9 size of what loads up front:
 * the entry chunk plus every chunk it imports statically. Lazy chunks are listed apart.
 *
 *   npm run bench:bundle -- --json bench/results/bundle.json
 *
 * Entries come from package.json's exports map (./dist/X.js ↔ X.ts), bundled from the TypeScript sources,
 * so the benchmark needs no build and measures exactly the files the package publishes.
 */
import { build, type Metafile } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { benchArgs, printTable, writeJson } from './support/report.js';

const args = benchArgs({ top: 6 });
const root = process.cwd();
const TARGET_PROVIDER_GZ = 25_000;

interface BundleResult {
  /** gzip -9 bytes loaded up front (entry chunk + static imports). */
  gz: number;
  minified: number;
  /** gzip bytes of chunks loaded only through dynamic import(). */
  lazyGz: number;
  /** Source inputs in the up-front chunks, largest first: [label, minified bytes]. */
  inputs: Array<[string, number]>;
  /** Input paths in the up-front chunks and in the lazy ones (for "is pdfjs in there?"). */
  upFrontPaths: string[];
  lazyPaths: string[];
}

/** Maps a public subpath ('.', './provider', …) to its TypeScript source via the exports map. */
function sourceOf(subpath: string): string | undefined {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> };
  const target = manifest.exports[subpath];
  if (target === undefined || typeof target === 'string') return undefined;
  const source = join(root, target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
  return existsSync(source) ? source : undefined;
}

/** Groups an input path by package (node_modules/<pkg>) or by source folder (src/<dir>). */
function label(path: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg !== null) return pkg[1]!;
  const rel = relative(root, path.replace(/^[^:]+:/, ''));
  const parts = rel.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : rel;
}

async function bundle(name: string, contents: string): Promise<BundleResult> {
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: `${name}-entry.js`, loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', splitting: true,
    outdir: join(root, 'bench/results/bundle-out', name), write: false, metafile: true, logLevel: 'silent',
    external: ['yjs'], legalComments: 'none',
  });
  const meta: Metafile = result.metafile;
  const sizes = new Map(result.outputFiles.map((f) => [relative(root, f.path), { raw: f.contents.byteLength, gz: gzipSync(f.contents, { level: 9 }).byteLength }]));
  const entry = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint !== undefined);
  if (entry === undefined) throw new Error(`${name}: esbuild produced no entry chunk`);
  // The entry chunk and everything it reaches through static imports load up front.
  const upFront = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const chunk = pending.pop()!;
    if (upFront.has(chunk)) continue;
    upFront.add(chunk);
    for (const imported of meta.outputs[chunk]!.imports) if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
  }
  const lazy = Object.keys(meta.outputs).filter((o) => !upFront.has(o) && o.endsWith('.js'));
  const byLabel = new Map<string, number>();
  const pathsOf = (chunks: Iterable<string>): string[] => [...chunks].flatMap((c) => Object.keys(meta.outputs[c]!.inputs));
  for (const chunk of upFront) {
    for (const [input, { bytesInOutput }] of Object.entries(meta.outputs[chunk]!.inputs)) byLabel.set(label(input), (byLabel.get(label(input)) ?? 0) + bytesInOutput);
  }
  const sum = (chunks: Iterable<string>, key: 'raw' | 'gz'): number => [...chunks].reduce((n, c) => n + (sizes.get(c)?.[key] ?? 0), 0);
  return {
    gz: sum(upFront, 'gz'), minified: sum(upFront, 'raw'), lazyGz: sum(lazy, 'gz'),
    inputs: [...byLabel.entries()].sort((a, b) => b[1] - a[1]),
    upFrontPaths: pathsOf(upFront), lazyPaths: pathsOf(lazy),
  };
}

const entries: Array<[string, string]> = [['full', '.'], ['provider', './provider'], ['classroom', './classroom'], ['doctypes', './doctypes'], ['authority', './authority'], ['sync', './sync']];
const results = new Map<string, BundleResult>();
for (const [name, subpath] of entries) {
  const source = sourceOf(subpath);
  if (source === undefined) { console.log(`(skipping ${name}: no source for exports['${subpath}'])`); continue; }
  results.set(name, await bundle(name, `export * from ${JSON.stringify(source)};\n`));
}
const ywebrtc = await bundle('ywebrtc', `export { WebrtcProvider } from 'y-webrtc';\n`);

const kb = (n: number): string => `${(n / 1000).toFixed(1)} kB`;
const hasPdfjs = (paths: string[]): boolean => paths.some((p) => p.includes('node_modules/pdfjs-dist/'));
printTable('minified browser bundles (esbuild, yjs external), loaded up front; gzip -9', ['bundle', 'minified', 'gzip', 'lazy chunks gzip', 'pdfjs up front', 'pdfjs lazy'], [
  ...[...results.entries()].map(([name, r]) => [name === 'full' ? 'peerclass' : `peerclass/${name}`, kb(r.minified), kb(r.gz), kb(r.lazyGz), hasPdfjs(r.upFrontPaths) ? 'YES' : 'no', hasPdfjs(r.lazyPaths) ? 'yes' : 'no']),
  ['y-webrtc (WebrtcProvider)', kb(ywebrtc.minified), kb(ywebrtc.gz), kb(ywebrtc.lazyGz), '-', '-'],
]);

for (const [name, r] of [...results.entries(), ['y-webrtc', ywebrtc] as const]) {
  console.log(`\n${name}: largest inputs up front (minified bytes before gzip)`);
  for (const [input, bytes] of r.inputs.filter(([, b]) => b > 0).slice(0, args.top)) console.log(`  ${String(bytes).padStart(9)}  ${(100 * bytes / Math.max(1, r.minified)).toFixed(0).padStart(3)}%  ${input}`);
}

const provider = results.get('provider');
const classroom = results.get('classroom');
console.log('');
if (provider !== undefined) console.log(`provider: ${provider.gz} B gzip — target ≤ ${TARGET_PROVIDER_GZ} B: ${provider.gz <= TARGET_PROVIDER_GZ ? 'met' : 'NOT met'} (y-webrtc ${ywebrtc.gz} B)`);
if (classroom !== undefined) console.log(`classroom: pdfjs-dist ${hasPdfjs(classroom.upFrontPaths) ? 'IS in the up-front bundle' : 'is not in the up-front bundle'}${hasPdfjs(classroom.lazyPaths) ? ' (it is a lazy chunk)' : ''}`);

const sizeOf = (name: string): number | null => results.get(name)?.gz ?? null;
writeJson(args.json, { peerclass: { provider: sizeOf('provider'), classroom: sizeOf('classroom'), full: sizeOf('full') }, ywebrtc: ywebrtc.gz });
