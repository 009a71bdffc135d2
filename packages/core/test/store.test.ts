import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index';

describe('MemoryStore', () => {
  it('stores copies, so callers cannot change a record behind its back', async () => {
    const store = new MemoryStore();
    const value = { status: 'pending', list: [1] };
    await store.put('a', value);
    value.list.push(2);
    const read = await store.get<typeof value>('a');
    expect(read).toEqual({ status: 'pending', list: [1] });
    read!.status = 'approved';
    expect(await store.get('a')).toEqual({ status: 'pending', list: [1] });
  });

  it('expires records after their TTL', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    await store.put('a', 1, { ttlSeconds: 10 });
    now += 9_999;
    expect(await store.get('a')).toBe(1);
    now += 1;
    expect(await store.get('a')).toBeUndefined();
    expect(await store.take('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('rejects a nonsensical TTL', async () => {
    const store = new MemoryStore();
    await expect(store.put('a', 1, { ttlSeconds: 0 })).rejects.toThrow(TypeError);
    await expect(store.put('a', 1, { ttlSeconds: Number.NaN })).rejects.toThrow(TypeError);
  });

  it('adds only when absent (or expired)', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    expect(await store.add('lock', 'first', { ttlSeconds: 1 })).toBe(true);
    expect(await store.add('lock', 'second')).toBe(false);
    expect(await store.get('lock')).toBe('first');
    now += 1000;
    expect(await store.add('lock', 'third')).toBe(true);
  });

  it('take() hands a single-use record to exactly one of many concurrent callers', async () => {
    const store = new MemoryStore();
    await store.put('approval:1', { id: 1 });
    const results = await Promise.all(Array.from({ length: 100 }, () => store.take('approval:1')));
    expect(results.filter((result) => result !== undefined)).toEqual([{ id: 1 }]);
    expect(await store.get('approval:1')).toBeUndefined();
  });

  it('delete() says whether something was there', async () => {
    const store = new MemoryStore();
    await store.put('a', 1);
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
  });
});
