/**
 * Internal (not exported from the package): how a sink tells audit logs which store it writes to. Sinks that write
 * to the same store within this process (two `jsonlAudit` sinks on one file, however its path is spelled) return the
 * same key, and every audit log over them shares one chain: one chain id, one head, one queue. A sink without a key
 * is its own store.
 *
 * The symbol is deliberately not `Symbol.for`: a second installed copy of the package keeps its own chains, which is
 * safe, because its chain id differs (it behaves like a second process).
 */
export const CHAIN_KEY = Symbol('agentgate.audit.chainKey');

/** A sink that can name its store. The key may take I/O to find (opening the file), hence the promise. */
export interface KeyedAuditSink {
  [CHAIN_KEY]?: () => object | Promise<object>;
}
