import { describe, expect, it, test } from 'vitest';
import { type LimitConsumeRequest, MemoryLimitStore } from '../src/index';

describe('MemoryLimitStore', () => {
  it('admits until the limit and then refuses without changing the counter', async () => {
    const store = new MemoryLimitStore();
    const request = { cost: 1, limit: 3, ttlMs: 60_000 };
    const answers = [];
    for (let index = 0; index < 5; index++) answers.push(await store.consume('k', request));
    expect(answers).toEqual([
      { admitted: true, used: 1 },
      { admitted: true, used: 2 },
      { admitted: true, used: 3 },
      { admitted: false, used: 3 },
      { admitted: false, used: 3 },
    ]);
  });

  it('is exact under 1,000 concurrent consumes', async () => {
    const store = new MemoryLimitStore();
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => store.consume('k', { cost: 1, limit: 137, ttlMs: 60_000 })),
    );
    expect(answers.filter((answer) => answer.admitted)).toHaveLength(137);
    expect((await store.consume('k', { cost: 0, limit: 137, ttlMs: 60_000 })).used).toBe(137);
  });

  it('sums costs and refuses a cost that would pass the limit while a smaller one still fits', async () => {
    const store = new MemoryLimitStore();
    const request = (cost: number) => ({ cost, limit: 100, ttlMs: 60_000 });
    expect(await store.consume('k', request(60))).toEqual({ admitted: true, used: 60 });
    expect(await store.consume('k', request(50))).toEqual({ admitted: false, used: 60 });
    expect(await store.consume('k', request(40))).toEqual({ admitted: true, used: 100 });
    expect(await store.consume('k', request(0))).toEqual({ admitted: true, used: 100 });
  });

  it('starts a counter over when its TTL has passed, and never extends it', async () => {
    let now = 1_000_000;
    const store = new MemoryLimitStore({ now: () => now });
    const request = { cost: 1, limit: 2, ttlMs: 10_000 };
    await store.consume('k', request);
    now += 5_000;
    await store.consume('k', request);
    expect(await store.consume('k', request)).toEqual({ admitted: false, used: 2 });
    now += 4_999;
    expect(await store.consume('k', request)).toEqual({ admitted: false, used: 2 });
    now += 1;
    expect(await store.consume('k', request)).toEqual({ admitted: true, used: 1 });
    expect(store.size).toBe(1);
    now += 10_000;
    expect(store.size).toBe(0);
  });

  it('reads with cost 0 without creating a counter', async () => {
    const store = new MemoryLimitStore();
    expect(await store.consume('k', { cost: 0, limit: 1, ttlMs: 1000 })).toEqual({ admitted: true, used: 0 });
    expect(store.size).toBe(0);
  });

  it('keeps counters apart by key', async () => {
    const store = new MemoryLimitStore();
    const request = { cost: 1, limit: 1, ttlMs: 1000 };
    expect((await store.consume('a', request)).admitted).toBe(true);
    expect((await store.consume('b', request)).admitted).toBe(true);
    expect((await store.consume('a', request)).admitted).toBe(false);
  });

  test.each([
    ['a negative cost', { cost: -1, limit: 1, ttlMs: 1000 }, /request\.cost/],
    ['a NaN cost', { cost: Number.NaN, limit: 1, ttlMs: 1000 }, /request\.cost/],
    ['an infinite cost', { cost: Number.POSITIVE_INFINITY, limit: 1, ttlMs: 1000 }, /request\.cost/],
    ['a zero limit', { cost: 1, limit: 0, ttlMs: 1000 }, /request\.limit/],
    ['an infinite limit', { cost: 1, limit: Number.POSITIVE_INFINITY, ttlMs: 1000 }, /request\.limit/],
    ['a fractional TTL', { cost: 1, limit: 1, ttlMs: 1.5 }, /request\.ttlMs/],
    ['a zero TTL', { cost: 1, limit: 1, ttlMs: 0 }, /request\.ttlMs/],
    ['an unknown field', { cost: 1, limit: 1, ttlMs: 1000, window: 1 }, /unknown request\.window/],
  ])('refuses %s with a TypeError', async (_, request, message) => {
    const store = new MemoryLimitStore();
    await expect(store.consume('k', request as LimitConsumeRequest)).rejects.toThrow(message);
    await expect(store.consume('k', request as LimitConsumeRequest)).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses an empty key and unknown options', async () => {
    await expect(new MemoryLimitStore().consume('', { cost: 1, limit: 1, ttlMs: 1 })).rejects.toThrow(
      /key must be a non-empty string/,
    );
    expect(() => new MemoryLimitStore({ clock: Date.now } as never)).toThrow(/unknown options\.clock/);
    expect(() => new MemoryLimitStore({ now: 5 } as never)).toThrow(/now must be a function/);
  });
});
