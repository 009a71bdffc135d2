import { type AuditEvent, GENESIS_HASH, hashAuditEvent } from './event';

/** The verdict of {@link verifyAuditChain}. */
export type AuditChainVerdict =
  | { valid: true; count: number; head: string; index?: never; reason?: never }
  | {
      valid: false;
      count: number;
      index: number;
      eventId: string | undefined;
      reason: AuditChainBreak;
      head?: never;
    };

/**
 * Why a chain is broken at an index: the event's content no longer matches its hash (edited), its `prevHash` does not
 * name the event before it (an event was deleted, inserted or moved), or the head is not the expected one (events were
 * cut from the end).
 */
export type AuditChainBreak = 'hash-mismatch' | 'broken-link' | 'unexpected-head';

export interface VerifyAuditChainOptions {
  /** The `prevHash` of the first event; defaults to the genesis hash (64 zeros). */
  genesis?: string;
  /** The hash the last event must have, e.g. one anchored elsewhere; detects truncation. */
  expectedHead?: string;
}

/**
 * Checks a sequence of audit events link by link and reports the first broken one.
 *
 * @example const verdict = verifyAuditChain(await readAuditLog('audit.jsonl'));
 * if (!verdict.valid) console.error(`audit log broken at line ${verdict.index + 1}: ${verdict.reason}`);
 */
export function verifyAuditChain(
  events: readonly AuditEvent[],
  options: VerifyAuditChainOptions = {},
): AuditChainVerdict {
  let previous = options.genesis ?? GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const broken = (reason: AuditChainBreak): AuditChainVerdict => ({
      valid: false,
      count: events.length,
      index,
      eventId: event?.id,
      reason,
    });
    if (event?.prevHash !== previous) return broken('broken-link');
    if (hashAuditEvent(event) !== event.hash) return broken('hash-mismatch');
    previous = event.hash;
  }
  if (options.expectedHead !== undefined && previous !== options.expectedHead) {
    return {
      valid: false,
      count: events.length,
      index: events.length - 1,
      eventId: events.at(-1)?.id,
      reason: 'unexpected-head',
    };
  }
  return { valid: true, count: events.length, head: previous };
}
