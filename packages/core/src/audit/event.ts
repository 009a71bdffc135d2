import { hash } from 'node:crypto';
import { canonicalBuiltEventJson, canonicalEventJson } from './event-json';

/**
 * Where in the path of a call a decision was made. `approval` is the life of an approval record
 * (`@agentgate/approval`): requested, pending, decided, consumed — also outside any call (a worker settling it).
 * `filter`: `@agentgate/fga` authorizing a set outside a tool call (retrieved documents, the tool list) or failing to
 * reach its FGA server; the reason carries counts, never document contents.
 */
export type AuditPhase = 'session' | 'validate' | 'policy' | 'guard' | 'execute' | 'approval' | 'filter';

/**
 * What was decided or what happened. `would-deny` / `would-interrupt`: a guard in shadow mode refused and the call
 * went on (see `createGate({ shadow })`). The approval phase adds `requested` … `consumed`.
 */
export type AuditOutcome =
  | 'allow'
  | 'deny'
  | 'interrupt'
  | 'would-deny'
  | 'would-interrupt'
  | 'executed'
  | 'failed'
  | 'retry'
  | 'requested'
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'consumed';

/**
 * One decision or outcome, hash-chained to the event its writer stored before it. Holds no secret: arguments appear as
 * a digest.
 */
export interface AuditEvent {
  /**
   * Unique to the event: a UUID. Events of `createAuditLog` carry RFC 9562 UUIDv8 ids, their chain's random prefix
   * then a sequence number, so the ids of one chain sort in the order its events were numbered.
   */
  id: string;
  /**
   * The id of the chain this event belongs to: random, one per writer (one per store within a process, e.g. one per
   * file). Several processes appending to one file write several chains, each verified on its own. Absent on events
   * written before chains had ids; those form one chain.
   */
  chain?: string;
  /** ISO 8601 time of the decision. */
  at: string;
  sessionId?: string;
  sub?: string;
  tenant?: string;
  agent?: string;
  tool: string;
  callId: string;
  argsDigest?: string;
  phase: AuditPhase;
  guard?: string;
  outcome: AuditOutcome;
  /** The error code of a deny, interrupt or failure. */
  code?: string;
  reason?: string;
  approvalId?: string;
  connection?: string;
  /** Raw arguments, only when the gate was created with `recordArgs: true` (secret-looking fields redacted). */
  args?: unknown;
  /**
   * The hash of the event before it in the same chain. The first event of a chain names the last event stored before
   * the chain began (by any writer), or the genesis hash when there was none.
   */
  prevHash: string;
  hash: string;
}

/** An event before the log numbers and chains it. */
export type AuditEventDraft = Omit<AuditEvent, 'id' | 'chain' | 'at' | 'prevHash' | 'hash'> & { at?: string };

/** The `prevHash` of the first event of a chain that began on an empty store. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an event: SHA-256 over the canonical JSON of every field but `hash` (so `chain` and `prevHash` are covered). */
export function hashAuditEvent(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  // One-shot hashing (no Hash object per event) over the event's canonical JSON, written without sorting per event.
  return hash('sha256', canonicalEventJson(event), 'hex');
}

/** Internal: {@link hashAuditEvent} of an event from `newAuditEvent` whose `hash` is not set yet. */
export function hashBuiltAuditEvent(event: AuditEvent): string {
  return hash('sha256', canonicalBuiltEventJson(event), 'hex');
}
