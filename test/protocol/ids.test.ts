import { describe, expect, it } from 'vitest';
import { randomHexId, toHex } from '../../src/protocol/ids.js';

describe('ids', () => {
  it('makes lowercase hex of the requested size, different every time', () => {
    expect(randomHexId(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(randomHexId(9)).toMatch(/^[0-9a-f]{18}$/);
    expect(new Set(Array.from({ length: 100 }, () => randomHexId(8))).size).toBe(100);
    expect(toHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe('0001abff');
  });

  it('refuses sizes that are not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 70_000]) expect(() => randomHexId(bad)).toThrow(RangeError);
  });
});
