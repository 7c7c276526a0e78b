import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DOC_TYPE_VERSIONS_KEY, DocumentSet } from '../../src/doctypes/documentSet.js';
import { defineDocType } from '../../src/doctypes/types.js';
import type { DocContext } from '../../src/doctypes/types.js';
import { arrayOf, bool, bytes, color, int, isInvalid, nullable, num, object, oneOf, optional, str } from '../../src/doctypes/validate.js';

const counterV1 = defineDocType({
  name: 'counter',
  version: 1,
  create: (ctx: DocContext) => {
    const map = ctx.doc.getMap<unknown>('counter');
    let destroyed = false;
    return {
      increment: () => map.set(ctx.localPeerId, ((map.get(ctx.localPeerId) as number | undefined) ?? 0) + 1),
      total: () => [...map.values()].reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0),
      role: ctx.localRole,
      destroy: () => { destroyed = true; },
      isDestroyed: () => destroyed,
    };
  },
});

describe('DocumentSet and defineDocType', () => {
  it('registers once, gets by handle, destroys APIs', () => {
    const docs = new DocumentSet(new Y.Doc(), { peerId: 'a', name: 'A', role: 'teacher' });
    const api = docs.register(counterV1);
    expect(docs.register(counterV1)).toBe(api);
    expect(docs.get(counterV1)).toBe(api);
    expect(docs.has('counter')).toBe(true);
    expect(docs.names()).toEqual(['counter']);
    api.increment();
    api.increment();
    expect(api.total()).toBe(2);
    expect(api.role).toBe('teacher');
    const other = defineDocType({ name: 'counter', version: 1, create: () => ({}) });
    expect(() => docs.register(other)).toThrow(/already registered/);
    expect(() => docs.get(defineDocType({ name: 'nope', version: 1, create: () => ({}) }))).toThrow(/not registered/);
    docs.destroy();
    expect(api.isDestroyed()).toBe(true);
    expect(docs.has('counter')).toBe(false);
  });

  it('validates names and versions', () => {
    expect(() => defineDocType({ name: '', version: 1, create: () => ({}) })).toThrow();
    expect(() => defineDocType({ name: 'has space', version: 1, create: () => ({}) })).toThrow();
    expect(() => defineDocType({ name: 'ok', version: 0, create: () => ({}) })).toThrow();
    expect(() => defineDocType({ name: 'ok', version: 1.5, create: () => ({}) })).toThrow();
  });

  it('reports a doc written by a newer schema version', () => {
    const doc = new Y.Doc();
    doc.getMap(DOC_TYPE_VERSIONS_KEY).set('counter', 3);
    const docs = new DocumentSet(doc, { peerId: 'a', name: 'A', role: 'student' });
    const seen: string[] = [];
    docs.on('problem', (p) => seen.push(`${p.docType}:${p.reason}`));
    docs.register(counterV1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^counter:.*version 3/);
    expect(docs.recentProblems()).toHaveLength(1);
    expect(doc.getMap(DOC_TYPE_VERSIONS_KEY).get('counter')).toBe(3);
  });

  it('a throwing problem listener does not break the reporting type', () => {
    const doc = new Y.Doc();
    const docs = new DocumentSet(doc, { peerId: 'a', name: 'A', role: 'student' });
    docs.on('problem', () => { throw new Error('listener bug'); });
    const t = defineDocType({ name: 'reporter', version: 1, create: (ctx) => ({ go: () => ctx.report({ docType: 'reporter', path: 'x', reason: 'y' }) }) });
    expect(() => docs.register(t).go()).not.toThrow();
  });
});

describe('validation helpers', () => {
  it('accept good values and explain bad ones', () => {
    expect(str(3)('abc')).toBe('abc');
    expect(isInvalid(str(3)('abcd'))).toBe(true);
    expect(isInvalid(str(3, 1)(''))).toBe(true);
    expect(isInvalid(str(3)(5))).toBe(true);
    expect(num(0, 10)(5)).toBe(5);
    for (const bad of [NaN, Infinity, 11, '5', null]) expect(isInvalid(num(0, 10)(bad))).toBe(true);
    expect(isInvalid(int()(1.5))).toBe(true);
    expect(bool(false)).toBe(false);
    expect(isInvalid(bool('false'))).toBe(true);
    expect(oneOf(['a', 'b'] as const)('b')).toBe('b');
    expect(isInvalid(oneOf(['a', 'b'] as const)('c'))).toBe(true);
    expect(isInvalid(bytes(2)(new Uint8Array(3)))).toBe(true);
    expect(isInvalid(bytes(2)([1, 2]))).toBe(true);
    expect(color('#a0b1c2')).toBe('#a0b1c2');
    expect(color('red')).toBe('red');
    expect(isInvalid(color('red;background:url(x)'))).toBe(true);
    expect(optional(num(), 7)(undefined)).toBe(7);
    expect(nullable(num())(null)).toBe(null);
    expect(arrayOf(num(), 2)([1, 2])).toEqual([1, 2]);
    expect(isInvalid(arrayOf(num(), 2)([1, 2, 3]))).toBe(true);
    const r = arrayOf(num(), 5)([1, 'x']);
    expect(isInvalid(r) && r.reason).toMatch(/^\[1\]/);
    const shape = object({ a: str(5), b: optional(num(), 0) });
    expect(shape({ a: 'x', extra: 1 })).toEqual({ a: 'x', b: 0 });
    const bad = shape({ a: 7 });
    expect(isInvalid(bad) && bad.reason).toMatch(/^a:/);
    expect(isInvalid(shape([]))).toBe(true);
    expect(isInvalid(shape(null))).toBe(true);
    // Inherited properties are not fields.
    expect(isInvalid(object({ toString: str(100) })({}))).toBe(true);
  });
});
