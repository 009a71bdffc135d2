import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { encryptionKeyId, keyBytes } from '../encryption-key-id';
import { type StoreOperation, StoreValueRejected } from '../errors';

/** Marks an encrypted value; JSON never starts with `e`, so plain and encrypted values cannot be confused. */
const FORMAT = 'enc1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Key {
  id: string;
  secret: KeyObject;
}

/**
 * AES-256-GCM over each stored value, bound to the Redis key it is stored under. Stored form:
 * `enc1.<keyId>.<iv>.<ciphertext+tag>` (base64url parts). The first key encrypts; every key decrypts the values that
 * name its id. The header and the Redis key are the additional authenticated data, so a value edited, or copied
 * under another key, fails authentication.
 */
export class ValueCipher {
  readonly #current: Key;
  readonly #byId: ReadonlyMap<string, Key>;

  constructor(keys: readonly Key[]) {
    this.#current = keys[0]!;
    this.#byId = new Map(keys.map((key) => [key.id, key]));
  }

  seal(plaintext: string, redisKey: string): string {
    const iv = randomBytes(IV_BYTES);
    const header = `${FORMAT}.${this.#current.id}`;
    const cipher = createCipheriv('aes-256-gcm', this.#current.secret, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(header, redisKey));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${header}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** @throws StoreValueRejected when the value is plain, malformed, under an unknown key, or fails authentication */
  open(stored: string, redisKey: string, operation: StoreOperation): string {
    if (!isSealed(stored)) {
      throw new StoreValueRejected(
        operation,
        'not-encrypted',
        'the value is not encrypted, and this store encrypts',
      );
    }
    const parts = stored.split('.');
    const [, keyId, iv, sealed] = parts;
    if (parts.length !== 4 || keyId === undefined || iv === undefined || sealed === undefined) {
      throw new StoreValueRejected(operation, 'malformed', 'the encrypted value is malformed');
    }
    const key = this.#byId.get(keyId);
    if (key === undefined) {
      throw new StoreValueRejected(
        operation,
        'unknown-key',
        `the value is encrypted under key id '${keyId}', which is not configured`,
        {
          keyId,
        },
      );
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const sealedBytes = Buffer.from(sealed, 'base64url');
    if (ivBytes.length !== IV_BYTES || sealedBytes.length < TAG_BYTES) {
      throw new StoreValueRejected(operation, 'malformed', 'the encrypted value is malformed', { keyId });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.secret, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(`${FORMAT}.${keyId}`, redisKey));
      decipher.setAuthTag(sealedBytes.subarray(sealedBytes.length - TAG_BYTES));
      const body = sealedBytes.subarray(0, sealedBytes.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new StoreValueRejected(
        operation,
        'authentication-failed',
        `the value does not authenticate under key id '${keyId}' (edited, copied from another key, or a wrong key)`,
        { keyId, cause: error },
      );
    }
  }
}

/** Whether a stored string is in the encrypted form (as opposed to plain JSON). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(`${FORMAT}.`);
}

/**
 * Reads `encryption.keys`: a non-empty list of distinct 32-byte keys, as bytes or base64url text.
 * @throws TypeError naming the position of a bad key (never its content)
 */
export function parseKeys(keys: unknown, where: string): Key[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError(
      `${where}: options.encryption.keys must be a non-empty array: [current, ...previous]`,
    );
  }
  const parsed = keys.map((key: unknown, index) => {
    const bytes = keyBytes(key);
    if (bytes === undefined) {
      throw new TypeError(
        `${where}: options.encryption.keys[${index}] must be 32 bytes: a Uint8Array of length 32 or base64url text of 43 characters`,
      );
    }
    const id = encryptionKeyId(bytes);
    const secret = createSecretKey(bytes);
    bytes.fill(0);
    return { id, secret };
  });
  const ids = new Set(parsed.map((key) => key.id));
  if (ids.size !== parsed.length)
    throw new TypeError(`${where}: options.encryption.keys holds the same key twice`);
  return parsed;
}

function additionalData(header: string, redisKey: string): Buffer {
  return Buffer.from(`${header}\n${redisKey}`, 'utf8');
}
