// A fresh consumer project for the packed tarball, built without network access: the tarball is
// unpacked into node_modules/peerclass exactly as `npm install <tarball>` lays it out, and its
// dependencies (plus Vite, TypeScript and @types/node) are symlinked from this repository's
// node_modules. (`npm install --offline <tarball>` needs registry metadata the npm cache does not hold,
// and `file:` links into the repository's node_modules would run their lifecycle scripts there.)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackedFile { path: string; size: number }
export interface Packed { tarball: string; files: PackedFile[]; manifest: PackageManifest }
export interface PackageManifest {
  name: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports: Record<string, string | { types: string; import: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Runs a command, returning stdout; on failure throws with the command's output in the message. */
export function run(command: string, args: string[], cwd: string, timeout = 150_000): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout, env: { ...process.env, NO_COLOR: '1' } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `npm pack` of the repository into `into` (dist/ must be built already: prepack is skipped). */
export function pack(root: string, into: string): Packed {
  const out = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', into], root);
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: PackedFile[] }>;
  if (info === undefined) throw new Error(`npm pack printed no result:\n${out}`);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageManifest;
  return { tarball: join(into, info.filename), files: info.files, manifest };
}

/** README's ```ts blocks that import peerclass (or one of its entries), each to become one module. */
export function readmeExamples(root: string): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => /from 'peerclass(\/[a-z/]+)?'/.test(code));
}

function link(root: string, project: string, name: string): void {
  const target = join(project, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(root, 'node_modules', name), target, 'dir');
}

/**
 * Creates the consumer project in `project`: package.json (type module), a strict tsconfig with
 * bundler resolution, index.html, and `sources` (name → code) under src/.
 */
export function createConsumer(root: string, project: string, packed: Packed, sources: Record<string, string>): void {
  const installed = join(project, 'node_modules', packed.manifest.name);
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', packed.tarball, '-C', installed, '--strip-components=1'], project);
  const deps = [...Object.keys(packed.manifest.dependencies ?? {}), ...Object.keys(packed.manifest.peerDependencies ?? {})];
  for (const name of new Set([...deps, 'vite', 'typescript', '@types/node'])) link(root, project, name);
  for (const [command, file] of Object.entries(packed.manifest.bin ?? {})) {
    const bin = join(project, 'node_modules/.bin', command);
    mkdirSync(dirname(bin), { recursive: true });
    symlinkSync(join('..', packed.manifest.name, file), bin);
    chmodSync(join(installed, file), 0o755);
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({
    name: 'peerclass-consumer', private: true, type: 'module',
    dependencies: { [packed.manifest.name]: `file:${packed.tarball}`, yjs: packed.manifest.peerDependencies?.yjs ?? '*' },
  }, null, 2));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: ['node'], strict: true, noEmit: true, isolatedModules: true, verbatimModuleSyntax: true,
      noUncheckedIndexedAccess: true, skipLibCheck: false,
    },
    include: ['src'],
  }, null, 2));
  writeFileSync(join(project, 'index.html'), '<!doctype html><html><body><script type="module" src="/src/main.ts"></script></body></html>\n');
  mkdirSync(join(project, 'src'), { recursive: true });
  for (const [name, code] of Object.entries(sources)) writeFileSync(join(project, 'src', name), code);
}

/** Runs the consumer's TypeScript and Vite straight from their (linked) packages. */
export function tsc(project: string): string {
  return run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], project);
}

export function vite(project: string, args: string[]): string {
  return run(process.execPath, [join(project, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', ...args], project);
}
