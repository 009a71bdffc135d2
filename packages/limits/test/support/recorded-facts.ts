import type { AuditEvent } from '@agentgate/core';

/** Fields of an audit event that are random or hashed hex, and by chance can hold any run of digits. */
const RANDOM_FIELDS = ['id', 'callId', 'chain', 'sessionId', 'argsDigest', 'prevHash', 'hash', 'at'];

/**
 * The facts an audit event records, as JSON, without its random ids, hashes and timestamp: what a test searches for
 * an argument value that must not be there (a UUID or hash containing `4001` is no leak).
 */
export function recordedFacts(event: AuditEvent | undefined): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(event ?? {}).filter(([field]) => !RANDOM_FIELDS.includes(field))),
  );
}
