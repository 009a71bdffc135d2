import { MemoryStore } from '@agentgate/core';
import { describe, expect, it } from 'vitest';
import { parseEncryptionKey, type SealedRecord, SealedStore } from './sealed-store';

const key = parseEncryptionKey(new Uint8Array(32).fill(1), 'test');

describe('SealedStore', () => {
  it('round-trips a value and stores only ciphertext', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('k', { accessToken: 'provider-token-123' }, 60);
    expect(JSON.stringify(await store.get('k'))).not.toContain('provider-token-123');
    expect(await sealed.get('k')).toEqual({ accessToken: 'provider-token-123' });
  });

  it('does not open a record moved under another key, and deletes it', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('alice', { accessToken: 'a' }, undefined);
    await store.put('bob', await store.get('alice'));
    expect(await sealed.get('bob')).toBeUndefined();
    expect(await store.get('bob')).toBeUndefined();
  });

  it('does not open a tampered or truncated record', async () => {
    const store = new MemoryStore();
    const sealed = new SealedStore(store, key);
    await sealed.put('k', { accessToken: 'a' }, undefined);
    const record = (await store.get<SealedRecord>('k'))!;
    await store.put('k', { ...record, tag: record.tag.slice(0, 8) });
    expect(await sealed.get('k')).toBeUndefined();
    await sealed.put('k', { accessToken: 'a' }, undefined);
    const fresh = (await store.get<SealedRecord>('k'))!;
    const data = Buffer.from(fresh.data, 'base64url');
    data[0] = (data[0] ?? 0) ^ 1;
    await store.put('k', { ...fresh, data: data.toString('base64url') });
    expect(await sealed.get('k')).toBeUndefined();
  });
});
