import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `--json FILE` plus bench-specific numeric flags, e.g. `benchArgs({ peers: 5 })`, and optional boolean switches
 * (`benchArgs({ students: 6 }, ['sfu'])` accepts `--sfu`; each is `true` when given, else `false`).
 */
export function benchArgs<T extends Record<string, number>, F extends string = never>(defaults: T, switches: readonly F[] = []): T & Record<F, boolean> & { json: string | undefined } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { json: { type: 'string' } };
  for (const key of Object.keys(defaults)) options[key] = { type: 'string' };
  for (const key of switches) options[key] = { type: 'boolean' };
  const { values } = parseArgs({ args: process.argv.slice(2), options, strict: true });
  const result: Record<string, number | string | boolean | undefined> = { json: values.json as string | undefined };
  for (const key of switches) result[key] = values[key] === true;
  for (const [key, fallback] of Object.entries(defaults)) {
    const raw = values[key] as string | undefined;
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${key} must be a number`);
    result[key] = n;
  }
  return result as T & Record<F, boolean> & { json: string | undefined };
}

/** Writes the JSON result when `--json FILE` was given (results/ is git-ignored). */
export function writeJson(file: string | undefined, value: unknown): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => typeof c === 'number' ? formatNumber(c) : c))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [index, row] of cells.entries()) {
    console.log(row.map((c, i) => String(c).padStart(widths[i]!)).join('  '));
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
