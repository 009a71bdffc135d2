import type { AuditSink } from './audit-log';
import type { AuditEvent } from './event';

/**
 * Internal (not exported from the package): what the sinks of this copy of AgentGate tell the audit logs over them.
 *
 * The symbol is deliberately not `Symbol.for`, and the registry is this module's: a second installed copy of the
 * package has its own, so its logs treat our sinks as any sink (safe: a second copy keeps its own chains, with their
 * own ids, like a second process).
 */

/**
 * How a sink names the store it writes to. Sinks that write to the same store within this process (two `jsonlAudit`
 * sinks on one file, however its path is spelled) return the same key, and every audit log over them shares one chain:
 * one chain id, one head, one queue. A sink without a key is its own store.
 */
export const CHAIN_KEY = Symbol('agentgate.audit.chainKey');

/** A sink that can name its store (the key may take I/O to find: opening the file, hence the promise). */
export interface KeyedAuditSink {
  [CHAIN_KEY]?: () => object | Promise<object>;
}

/** The sinks that may keep an event without a copy: what their `write` was when made, and how they keep one. */
const keepers = new WeakMap<
  object,
  { readonly write: unknown; readonly keep: (event: AuditEvent) => void }
>();

/**
 * Registers how a sink that keeps event objects (`memoryAudit`) stores an event the log hands over for good: nothing
 * else holds it, so it needs no copy. Kept off the sink itself, so a sink spread from it (`{ ...memoryAudit(), write }`)
 * is not one.
 */
export function registerKeeper(sink: AuditSink, keep: (event: AuditEvent) => void): void {
  keepers.set(sink, { write: sink.write, keep });
}

/**
 * How `sink` keeps a handed-over event, or `undefined`: then the log calls `write`. Only while the sink's `write` is
 * still the one it was made with — one replaced or wrapped later (a spy, a failing stub) is called as any `write` is.
 */
export function keeperOf(sink: AuditSink): ((event: AuditEvent) => void) | undefined {
  const keeper = keepers.get(sink);
  return keeper !== undefined && keeper.write === sink.write ? keeper.keep : undefined;
}
