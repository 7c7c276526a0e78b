import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createJoinLink,
  createTeacherIdentity,
  decodeSignedControl,
  encodeControlStatement,
  encodeSignedControl,
  exportTeacherIdentity,
  fromBase64Url,
  importTeacherIdentity,
  JoinLinkError,
  parseJoinLink,
  randomClassId,
  randomSecret,
  signControl,
  TeacherKeyError,
  toBase64Url,
  verifyControl,
} from '../../src/authority/index.js';
import type { ControlStatement } from '../../src/authority/index.js';

const stage = (peerId: string | null, seq = 1, classId = 'class-1'): ControlStatement<'stage'> => ({
  kind: 'stage',
  classId,
  seq,
  issuedAt: 1_700_000_000_000,
  body: { peerId },
});

describe('base64url', () => {
  it('round-trips any bytes and rejects non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(text)).toEqual(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
    expect(fromBase64Url('ab+c')).toBeNull();
    expect(fromBase64Url('A')).toBeNull();
    expect(fromBase64Url('AQ')).toEqual(new Uint8Array([1]));
    expect(fromBase64Url('AB')).toBeNull(); // non-zero trailing bits
  });
});

describe('teacher identity', () => {
  it('signs statements that verify with the public key string', async () => {
    const id = await createTeacherIdentity();
    expect(fromBase64Url(id.publicKey)?.length).toBe(65);
    const signed = await signControl(id, stage('s1'));
    const result = await verifyControl(id.publicKey, 'class-1', signed);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.statement).toEqual(stage('s1'));
    // the binary container verifies too
    const bytes = encodeSignedControl(signed);
    expect(decodeSignedControl(bytes)).toEqual(signed);
    expect((await verifyControl(id.publicCryptoKey, 'class-1', bytes)).ok).toBe(true);
  });

  it('survives export → JSON → import and keeps signing with the same key', async () => {
    const id = await createTeacherIdentity();
    const json = JSON.stringify(await exportTeacherIdentity(id));
    const restored = await importTeacherIdentity(JSON.parse(json));
    expect(restored.publicKey).toBe(id.publicKey);
    const signed = await signControl(restored, stage('s2'));
    expect((await verifyControl(id.publicKey, 'class-1', signed)).ok).toBe(true);
  });

  it('refuses an exported identity whose private key belongs to another public key', async () => {
    const a = await exportTeacherIdentity(await createTeacherIdentity());
    const b = await exportTeacherIdentity(await createTeacherIdentity());
    await expect(importTeacherIdentity({ ...a, publicKey: b.publicKey })).rejects.toBeInstanceOf(TeacherKeyError);
  });
});

describe('verifyControl rejections', () => {
  it('rejects a statement signed by another key as bad-signature', async () => {
    const teacher = await createTeacherIdentity();
    const forger = await createTeacherIdentity();
    const forged = await signControl(forger, stage('mallory'));
    const r = await verifyControl(teacher.publicKey, 'class-1', forged);
    expect(r).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a tampered body as bad-signature', async () => {
    const teacher = await createTeacherIdentity();
    const signed = await signControl(teacher, stage('alice'));
    const tamperedPayload = encodeControlStatement(stage('malry')); // same length, still canonical
    expect(tamperedPayload.length).toBe(signed.payload.length);
    const r = await verifyControl(teacher.publicKey, 'class-1', { payload: tamperedPayload, signature: signed.signature });
    expect(r).toMatchObject({ ok: false, reason: 'bad-signature' });
    const flipped = Uint8Array.from(signed.signature);
    flipped[10]! ^= 1;
    expect(await verifyControl(teacher.publicKey, 'class-1', { payload: signed.payload, signature: flipped })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects an older or equal seq as replay', async () => {
    const teacher = await createTeacherIdentity();
    const old = await signControl(teacher, stage('alice', 4));
    expect(await verifyControl(teacher.publicKey, 'class-1', old, { lastSeq: 5 })).toMatchObject({ ok: false, reason: 'replay' });
    expect(await verifyControl(teacher.publicKey, 'class-1', old, { lastSeq: 4 })).toMatchObject({ ok: false, reason: 'replay' });
    expect((await verifyControl(teacher.publicKey, 'class-1', old, { lastSeq: 3 })).ok).toBe(true);
  });

  it('rejects a statement for another class as wrong-class', async () => {
    const teacher = await createTeacherIdentity();
    const other = await signControl(teacher, stage('alice', 1, 'class-2'));
    expect(await verifyControl(teacher.publicKey, 'class-1', other)).toMatchObject({ ok: false, reason: 'wrong-class' });
  });

  it('rejects garbage, wrong shapes and non-canonical payloads as malformed', async () => {
    const teacher = await createTeacherIdentity();
    const sign = async (text: string) => {
      const payload = new TextEncoder().encode(text);
      const { signature } = await signControl(teacher, stage(null));
      return { payload, signature };
    };
    expect(await verifyControl(teacher.publicKey, 'c', new Uint8Array([1, 2, 3]))).toMatchObject({ reason: 'malformed' });
    expect(await verifyControl(teacher.publicKey, 'c', await sign('{not json'))).toMatchObject({ reason: 'malformed' });
    const bad = { kind: 'stage', classId: 'c', seq: 1, issuedAt: 1, body: { peerId: 5 } };
    expect(await verifyControl(teacher.publicKey, 'c', await sign(JSON.stringify(bad)))).toMatchObject({ reason: 'malformed' });
    const extra = { ...stage('a'), extra: 1 };
    expect(await verifyControl(teacher.publicKey, 'c', await sign(JSON.stringify(extra)))).toMatchObject({ reason: 'malformed' });
    const spaced = JSON.stringify(stage('a'), null, 1);
    expect(await verifyControl(teacher.publicKey, 'c', await sign(spaced))).toMatchObject({ reason: 'malformed' });
    await expect(signControl(teacher, { ...stage('a'), seq: -1 })).rejects.toThrow(/seq/);
  });

  it('accepts every kind with a valid body', async () => {
    const teacher = await createTeacherIdentity();
    const base = { classId: 'c', seq: 3, issuedAt: 10 };
    const statements: ControlStatement[] = [
      { ...base, kind: 'stage', body: { peerId: null } },
      { ...base, kind: 'slide', body: { slideIndex: 2, follow: true } },
      { ...base, kind: 'board-lock', body: { locked: true } },
      { ...base, kind: 'mute-request', body: { peerId: 'all', muted: true } },
      { ...base, kind: 'remove', body: { peerId: 'bob' } },
      { ...base, kind: 'end-class', body: {} },
    ];
    for (const s of statements) {
      const r = await verifyControl(teacher.publicKey, 'c', await signControl(teacher, s));
      expect(r.ok, s.kind).toBe(true);
    }
  });
});

describe('join link', () => {
  it('round-trips class id, secret and teacher key through the fragment', async () => {
    const id = await createTeacherIdentity();
    const params = { classId: randomClassId(), secret: randomSecret(), teacherKey: id.publicKey };
    const link = createJoinLink('https://example.org/class?x=1#old', params);
    const url = new URL(link);
    expect(url.search).toBe('?x=1');
    expect(url.hash).toContain('class=');
    expect(link.split('#')[0]).not.toContain(params.secret);
    expect(parseJoinLink(link)).toEqual(params);
    expect(parseJoinLink(url.hash)).toEqual(params);
    expect(randomSecret()).not.toBe(params.secret);
    expect(fromBase64Url(params.secret)?.length).toBe(32);
  });

  it('throws a clear JoinLinkError for broken links', async () => {
    const id = await createTeacherIdentity();
    const good = createJoinLink('https://e.org/', { classId: 'c1', secret: randomSecret(), teacherKey: id.publicKey });
    expect(() => parseJoinLink('https://e.org/')).toThrow(/no #class/);
    expect(() => parseJoinLink(good.replace(/secret=[^&]*/, ''))).toThrow(/missing secret/);
    expect(() => parseJoinLink(good.replace(/teacher=[^&]*/, 'teacher=abc'))).toThrow(/teacher key/);
    expect(() => parseJoinLink(good.replace(/secret=[^&]*/, 'secret=short'))).toThrow(/secret/);
    expect(() => parseJoinLink('not a url')).toThrow(JoinLinkError);
    expect(() => createJoinLink('https://e.org/', { classId: 'a b', secret: randomSecret(), teacherKey: id.publicKey })).toThrow(
      JoinLinkError,
    );
  });
});
