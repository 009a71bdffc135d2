import { createHmac } from 'node:crypto';

/** A 32-byte AES-256 key: bytes, or base64url text (43 characters, e.g. `openssl rand 32 | basenc --base64url`). */
export type EncryptionKey = Uint8Array | string;

const KEY_ID_LABEL = 'agentgate-redis key id v1';

/**
 * The id a ciphertext names for its key: the first 8 bytes of HMAC-SHA256(key, label), base64url (11 characters).
 * It identifies the key without revealing anything about it; use it to see which key encrypted a value.
 *
 * @example encryptionKeyId(process.env.REDIS_STORE_KEY!) // 'Zq3r0v9T1xA'
 * @throws TypeError when the key is not 32 bytes (bytes or base64url text)
 */
export function encryptionKeyId(key: EncryptionKey): string {
  const bytes = keyBytes(key);
  if (bytes === undefined)
    throw new TypeError('encryptionKeyId: the key must be 32 bytes (bytes or base64url text)');
  return createHmac('sha256', bytes).update(KEY_ID_LABEL).digest().subarray(0, 8).toString('base64url');
}

/** @internal A copy of the key's 32 bytes, or `undefined` when it is not a 32-byte key. */
export function keyBytes(key: unknown): Buffer | undefined {
  if (key instanceof Uint8Array) return key.length === 32 ? Buffer.from(key) : undefined;
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(key)) return undefined;
  const bytes = Buffer.from(key, 'base64url');
  // 43 characters carry 258 bits: the last 2 must be zero, or two texts would name one key.
  return bytes.length === 32 && bytes.toString('base64url') === key ? bytes : undefined;
}
