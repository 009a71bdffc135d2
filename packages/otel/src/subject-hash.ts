import { createHash, createHmac } from 'node:crypto';
import { assertKnownOptions } from '@agentgate/core';

/**
 * How the observer writes a session's `sub` into spans and log records:
 * - `{ key }`: HMAC-SHA-256 under your key, hex (recommended: without the key, nobody can test guesses);
 * - `true`: a bare SHA-256, hex (anyone can hash a guessed e-mail address and compare: pseudonymous, not anonymous);
 * - a function: your own mapping (return the text to record);
 * - `false` (the default): the `sub` as it is.
 */
export type SubjectHashing = boolean | { readonly key: string | Uint8Array } | ((sub: string) => string);

/** Internal: the mapping `hashing` describes. @throws TypeError when it is none of the forms above */
export function subjectMapper(hashing: SubjectHashing | undefined): (sub: string) => string {
  if (hashing === undefined || hashing === false) return (sub) => sub;
  if (hashing === true) return (sub) => createHash('sha256').update(sub, 'utf8').digest('hex');
  if (typeof hashing === 'function') return hashing;
  const key = (hashing as { key?: unknown } | null)?.key;
  if ((typeof key === 'string' || key instanceof Uint8Array) && key.length >= 16) {
    // `{ key, algorithm: 'sha512' }` would be hashed with SHA-256 all the same: an option not read is refused.
    assertKnownOptions('createOpenTelemetryObserver', hashing, ['key'], 'options.hashSubject');
    return (sub) => createHmac('sha256', key).update(sub, 'utf8').digest('hex');
  }
  throw new TypeError(
    'createOpenTelemetryObserver: options.hashSubject must be true, false, a function, or { key } with a key of at least 16 characters or bytes',
  );
}
