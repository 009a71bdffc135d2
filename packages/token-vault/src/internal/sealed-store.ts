import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Store } from '@agentgate/core';
import { AgentGateError } from '@agentgate/core';

/** What a store holds for one cached token: AES-256-GCM ciphertext, never the token. */
export interface SealedRecord {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

/** Reads a 32-byte key given as bytes or base64url text. @throws TypeError otherwise. */
export function parseEncryptionKey(key: Uint8Array | string, caller: string): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64url') : Buffer.from(key);
  if (bytes.length !== 32) {
    throw new TypeError(`${caller}: options.encryptionKey must be 32 bytes (a Uint8Array or base64url text)`);
  }
  return bytes;
}

const PREFIX = 'agentgate:token-vault:v1:';

/**
 * A `Store` view that encrypts each value with AES-256-GCM, binding it to its key (as additional authenticated data),
 * so a record copied under another key, edited, or read with another encryption key does not open. Keys are stored as
 * `agentgate:token-vault:v1:<sha256>`, so they name no user, tenant or connection.
 */
export class SealedStore {
  readonly #store: Store;
  readonly #key: Buffer;

  constructor(store: Store, key: Buffer) {
    this.#store = store;
    this.#key = key;
  }

  /** The value, or `undefined` when absent or when it does not open (it is then deleted). */
  async get<T>(name: string): Promise<T | undefined> {
    const key = storeKey(name);
    let record: SealedRecord | undefined;
    try {
      record = await this.#store.get<SealedRecord>(key);
    } catch (error) {
      // A value the store itself refuses (edited, or sealed under a key it no longer has) is a cache miss: dropped and
      // fetched again. A store that cannot answer at all still fails the call.
      if (!(AgentGateError.isInstance(error) && error.code === 'STORE_VALUE_REJECTED')) throw error;
      await this.#store.delete(key);
      return undefined;
    }
    if (record === undefined) return undefined;
    try {
      return JSON.parse(this.#open(record, key)) as T;
    } catch {
      await this.#store.delete(key);
      return undefined;
    }
  }

  async put(name: string, value: unknown, ttlSeconds: number | undefined): Promise<void> {
    const key = storeKey(name);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(key, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const record: SealedRecord = {
      v: 1,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      data: data.toString('base64url'),
    };
    await this.#store.put(key, record, ttlSeconds === undefined ? undefined : { ttlSeconds });
  }

  delete(name: string): Promise<boolean> {
    return this.#store.delete(storeKey(name));
  }

  #open(record: SealedRecord, key: string): string {
    if (record?.v !== 1) throw new TypeError('unknown sealed record version');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(record.iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(key, 'utf8'));
    decipher.setAuthTag(Buffer.from(record.tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(record.data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

/** The key a value named `name` is stored under: a digest, so the store learns nothing from it. */
export function storeKey(name: string): string {
  return `${PREFIX}${createHash('sha256').update(name, 'utf8').digest('base64url')}`;
}
