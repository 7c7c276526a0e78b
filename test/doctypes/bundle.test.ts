// pdfjs-dist is most of the weight a classroom could carry; it must load only when a PDF is imported.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

describe('doc types bundle', () => {
  it('reaches pdfjs only through a dynamic import, so a code-splitting bundle keeps it out of the entry chunk', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../../src/doctypes/index.ts', import.meta.url))],
      bundle: true, splitting: true, format: 'esm', platform: 'browser', minify: true,
      external: ['yjs'], write: false, outdir: '/virtual', metafile: true, logLevel: 'silent',
    });
    const outputs = result.metafile.outputs;
    const pdfjsIn = (file: string) => Object.keys(outputs[file]?.inputs ?? {}).some((i) => i.includes('pdfjs-dist'));
    const entry = Object.keys(outputs).find((file) => outputs[file]?.entryPoint !== undefined);
    expect(entry).toBeDefined();
    // What loads with the entry: the entry chunk and every chunk it imports statically, transitively.
    const eager = new Set<string>([entry!]);
    for (const file of eager) {
      for (const i of outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) eager.add(i.path);
    }
    expect([...eager].filter(pdfjsIn)).toEqual([]);
    // And it is still there for the PDF path, in chunks of its own.
    expect(Object.keys(outputs).filter(pdfjsIn).length).toBeGreaterThan(0);
  });
});
