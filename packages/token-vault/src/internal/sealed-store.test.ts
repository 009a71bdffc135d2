import { MemoryStore } from '@agentgate/core';
import { describe, expect, it } from 'vitest';
import { parseEncryptionKey, type SealedRecord, SealedStore, storeKey } from './sealed-store';

const key = parseEncryptionKey(new Uint8Array(32).fill(1), 'test');

describe('SealedStore', () => {
  it('round-trips a value and stores only ciphertext', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('["token","alice"]', { accessToken: 'provider-token-123' }, 60);
    expect(await store.get('["token","alice"]')).toBeUndefined();
    const raw = JSON.stringify(await store.get(storeKey('["token","alice"]')));
    expect(raw).toContain('"v":1');
    expect(raw).not.toContain('provider-token-123');
    expect(storeKey('["token","alice"]')).toMatch(/^agentgate:token-vault:v1:[\w-]{43}$/);
    expect(await sealed.get('["token","alice"]')).toEqual({ accessToken: 'provider-token-123' });
  });

  it('round-trips under the name it was put with', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('k', { accessToken: 'provider-token-123' }, 60);
    expect(await sealed.get('k')).toEqual({ accessToken: 'provider-token-123' });
  });

  it('does not open a record moved under another key, and deletes it', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('alice', { accessToken: 'a' }, undefined);
    await store.put(storeKey('bob'), await store.get(storeKey('alice')));
    expect(await sealed.get('bob')).toBeUndefined();
    expect(await store.get(storeKey('bob'))).toBeUndefined();
  });

  it('does not open a tampered or truncated record', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('k', { accessToken: 'a' }, undefined);
    const record = (await store.get<SealedRecord>(storeKey('k')))!;
    await store.put(storeKey('k'), { ...record, tag: record.tag.slice(0, 8) });
    expect(await sealed.get('k')).toBeUndefined();
    await sealed.put('k', { accessToken: 'a' }, undefined);
    const fresh = (await store.get<SealedRecord>(storeKey('k')))!;
    const data = Buffer.from(fresh.data, 'base64url');
    data[0] = (data[0] ?? 0) ^ 1;
    await store.put(storeKey('k'), { ...fresh, data: data.toString('base64url') });
    expect(await sealed.get('k')).toBeUndefined();
  });
});
