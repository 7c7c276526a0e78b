import { afterEach, describe, expect, it, vi } from 'vitest';
import { mintRelayToken } from '../../signaling/index.js';
import { RelayTokens, tokenExpiry } from '../../src/transport/relayTokens.js';

afterEach(() => { vi.useRealTimers(); });

describe('RelayTokens (client side of relay tokens)', () => {
  it('reads exp from a JWT without verifying it, and null from anything else', async () => {
    const token = await mintRelayToken({ secret: 's', classId: 'c', ttlSeconds: 90 });
    const exp = tokenExpiry(token)!;
    expect(exp - Date.now()).toBeGreaterThan(88_000);
    expect(exp - Date.now()).toBeLessThanOrEqual(91_000);
    for (const bad of ['', 'abc', 'a.b.c', 'a.' + Buffer.from('{"exp":"soon"}').toString('base64url') + '.c']) expect(tokenExpiry(bad)).toBeNull();
  });

  it('renews a function token before exp, never for a fixed token or an expired one', async () => {
    vi.useFakeTimers({ now: Date.now() });
    const due = vi.fn();
    const fromFunction = new RelayTokens(() => 'x', due);
    fromFunction.sent(await mintRelayToken({ secret: 's', classId: 'c', ttlSeconds: 600 }));
    vi.advanceTimersByTime(530_000);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(12_000); // 60 s before exp
    expect(due).toHaveBeenCalledTimes(1);

    const fixedDue = vi.fn();
    new RelayTokens('fixed', fixedDue).sent(await mintRelayToken({ secret: 's', classId: 'c', ttlSeconds: 5 }));
    const expiredDue = vi.fn();
    const expired = new RelayTokens(() => 'x', expiredDue);
    expired.sent('a.' + Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 10 })).toString('base64url') + '.c');
    vi.advanceTimersByTime(10_000);
    expect(fixedDue).not.toHaveBeenCalled();
    expect(expiredDue).not.toHaveBeenCalled();
  });

  it('offers a new token after a refusal only from a function, only if it differs, at most three times per connection', async () => {
    expect(await new RelayTokens('fixed', () => {}).afterRefusal()).toBeUndefined();
    const same = new RelayTokens(() => 'same', () => {});
    same.sent('same');
    expect(await same.afterRefusal()).toBeUndefined();
    let n = 0;
    const fresh = new RelayTokens(() => `t${++n}`, () => {});
    fresh.sent('t0');
    expect([await fresh.afterRefusal(), await fresh.afterRefusal(), await fresh.afterRefusal(), await fresh.afterRefusal()]).toEqual(['t1', 't2', 't3', undefined]);
    fresh.connectionChanged();
    expect(await fresh.afterRefusal()).toBe('t4');
  });
});
