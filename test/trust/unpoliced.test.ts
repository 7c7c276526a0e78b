/**
 * Writes outside every doc type (issue 11: "a rejected update never half-applies: honest peers' documents stay
 * byte-identical to a run without the attacker"). A student's raw Yjs write under a name no doc type owns (`junk`,
 * e.g. megabytes) is refused as `unknown-type`; so is one under `control` here, where the harness registers no
 * control policy. The Classroom's own rule for `control` (well-formed statements of the class under their slot) is
 * tested below with the policy itself.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { intact, makePolicyClass, type PolicyClass } from '../doctypes/policyHarness.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('writes outside every doc type are refused', () => {
  let cls: PolicyClass;
  beforeEach(() => { cls = makePolicyClass({ attacker: true, shape: 'mesh' }); });
  afterEach(() => cls.destroy());

  it('a student writes into the control map: honest docs stay as without the attacker', () => {
    cls.attacker!.write((d) => d.getMap('control').set('slide', new Uint8Array([1, 2, 3])));
    cls.settle();
    const r = intact(cls);
    expect(r.ok, r.detail).toBe(true);
  });

  it('a student writes an unregistered top-level type: honest docs stay as without the attacker', () => {
    cls.attacker!.write((d) => d.getMap('junk').set('x', 'y'.repeat(100_000)));
    cls.settle();
    const r = intact(cls);
    expect(r.ok, r.detail).toBe(true);
  });
});

describe('the class control map policy', () => {
  it('accepts a teacher-signed statement under its slot from anyone, refuses garbage, wrong slots and clearing', async () => {
    const { createTeacherIdentity, signControl, encodeSignedControl } = await import('../../src/authority/index.js');
    const { controlMapPolicy } = await import('../../src/classroom/classPolicies.js');
    const teacher = await createTeacherIdentity();
    const statement = { kind: 'board-lock' as const, classId: 'c1', seq: 5, issuedAt: 1, body: { locked: true } };
    const signed = encodeSignedControl(await signControl(teacher, statement));
    const policy = controlMapPolicy('c1');
    const place = (key: string) => ({ root: 'control', topKey: key, top: { client: 1, clock: 0 }, depth: 0, key }) as never;
    const change = (inserts: Array<{ key: string; value: unknown }>, deletes: string[] = []) => ({
      docType: 'control', author: 's1', teacher: false, doc: undefined as never, ownerOf: () => 's1',
      inserts: inserts.map(({ key, value }) => ({ id: { client: 1, clock: 0 }, length: 1, place: place(key), values: [value], kind: 'other', origin: null })),
      deletes: deletes.map((key) => ({ id: { client: 2, clock: 0 }, length: 1, place: place(key), values: [] })),
    }) as never;
    const context = { isTeacher: () => false, readOnly: () => false };
    expect(policy(change([{ key: 'board-lock', value: signed }], ['board-lock']), context).ok).toBe(true);
    expect(policy(change([{ key: 'slide', value: signed }]), context).ok).toBe(false);
    expect(policy(change([{ key: 'board-lock', value: new Uint8Array(100_000) }]), context).ok).toBe(false);
    expect(policy(change([{ key: 'board-lock', value: 'y'.repeat(10) }]), context).ok).toBe(false);
    expect(controlMapPolicy('other-class')(change([{ key: 'board-lock', value: signed }]), context).ok).toBe(false);
    expect(policy(change([], ['board-lock']), context).ok).toBe(false);
  });
});
