import { randomUUID } from 'node:crypto';
import { AgentGateError, AuditFailed } from '../errors';
import { describeThrown } from '../thrown';
import { CHAIN_KEY, type KeyedAuditSink } from './chain-key';
import {
  type AuditEvent,
  type AuditEventDraft,
  GENESIS_HASH,
  hashAuditEvent,
  hashBuiltAuditEvent,
} from './event';
import { buildAuditEvent } from './event-json';

/** Where audit events go. `write` must not resolve before the event is stored. */
export interface AuditSink {
  write(event: AuditEvent): void | Promise<void>;
  /**
   * The hash of the last event already stored, by any writer. A new chain starts from it, so the events stored before
   * it began cannot be removed without breaking its first link.
   */
  lastHash?(): Promise<string | undefined>;
  /**
   * Waits for writes in flight and releases what the sink holds (a file handle). Later writes reject with
   * `AuditFailed`. Idempotent.
   */
  close?(): Promise<void>;
}

/** The hash-chained log a gate writes to. */
export interface AuditLog {
  /**
   * Numbers, chains and stores an event.
   * @throws AuditFailed when the sink fails (the event stays queued) or the log is closed (the event is not chained)
   */
  append(draft: AuditEventDraft): Promise<AuditEvent>;
  /** Retries events whose write failed. @throws AuditFailed when the sink still fails, or the log is closed. */
  flush(): Promise<void>;
  /** Events chained but not yet stored because the sink failed. */
  readonly pending: number;
  /**
   * Stores queued events, then closes the sink unless another open log uses the same sink object. Later appends reject
   * with `AuditFailed`. Idempotent; if the queued events cannot be stored it rejects with `AuditFailed`, keeps them,
   * and a later `close()` tries again. Optional so that a log from another installed copy of AgentGate still fits;
   * logs from {@link createAuditLog} always have it.
   */
  close?(): Promise<void>;
}

export interface CreateAuditLogOptions {
  sink: AuditSink;
  /** @default () => new Date() */
  now?: () => Date;
}

/** The chain of one store within this process, shared by every log over it. */
interface Chain {
  readonly id: string;
  /** The hash the next event links to; `undefined` until the chain is anchored on the store's last event. */
  head: string | undefined;
  /** Chained but not yet stored, oldest first; written by whichever log drains next (its sink reaches the same store). */
  readonly queued: AuditEvent[];
  /** The end of the chain's serialised work. */
  tail: Promise<unknown>;
  /** Writes and tasks begun and not yet settled; an append on a chain with none stores its event at once. */
  busy: number;
  /** Marks one of them settled. */
  readonly done: () => void;
}

const chains = new WeakMap<object, Chain>();
/** How many open logs use a sink object: the last one to close closes the sink. */
const sinkUsers = new WeakMap<AuditSink, number>();

/**
 * Wraps a sink in a hash chain. Writes are serialised; an event whose write fails is kept and written before any
 * later event, so the stored chain never has a gap.
 *
 * Within one process, every log over the same store shares one chain, so two gates (or two `jsonlAudit` sinks) on one
 * file write one valid chain. Each chain has a random id recorded in its events as `chain`; its first event links to
 * the last event already stored (see {@link AuditSink.lastHash}). Across processes, each process writes its own chain
 * into the shared store and {@link verifyAuditChain} checks each one.
 *
 * @example
 * const log = createAuditLog({ sink: jsonlAudit('audit.jsonl') });
 * await log.append({ tool: 'refund', callId: 'c1', phase: 'guard', outcome: 'allow' });
 * await log.close();
 * @throws TypeError when `options.sink` has no `write()`
 */
export function createAuditLog(options: CreateAuditLogOptions): Required<AuditLog> {
  if (typeof options?.sink?.write !== 'function')
    throw new TypeError('createAuditLog: options.sink must have write()');
  const { sink } = options;
  const now = options.now;
  const isoNow = now === undefined ? systemIsoClock() : () => now().toISOString();
  sinkUsers.set(sink, (sinkUsers.get(sink) ?? 0) + 1);
  let chain: Chain | undefined;
  let finding: Promise<Chain> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let released = false;
  let lastUser = false;

  const findChain = (): Promise<Chain> => {
    if (chain) return Promise.resolve(chain);
    finding ??= Promise.resolve((sink as KeyedAuditSink)[CHAIN_KEY]?.() ?? sink).then(
      (key) => {
        let shared = chains.get(key);
        if (!shared) {
          const created: Chain = {
            id: randomUUID(),
            head: undefined,
            queued: [],
            tail: Promise.resolve(),
            busy: 0,
            done: () => {
              created.busy--;
            },
          };
          shared = created;
          chains.set(key, shared);
        }
        chain = shared;
        return shared;
      },
      (error: unknown) => {
        finding = undefined; // not cached: the next append tries again
        throw new AuditFailed('audit sink could not be opened', { cause: error });
      },
    );
    return finding;
  };

  const anchor = async (): Promise<string> => {
    try {
      return (await sink.lastHash?.()) ?? GENESIS_HASH;
    } catch (error) {
      throw new AuditFailed('audit sink could not tell the last hash it stored', { cause: error });
    }
  };

  const storeFailure = (target: Chain, event: AuditEvent, error: unknown): AuditFailed => {
    // Our own errors (a closed sink) carry a message worth showing; a foreign one is kept only as the cause.
    const detail = AgentGateError.isInstance(error) ? `: ${error.message}` : '';
    return new AuditFailed(
      `audit sink failed to store event ${event.id} (${target.queued.length} queued)${detail}`,
      { cause: error },
    );
  };

  async function drain(target: Chain): Promise<void> {
    while (target.queued.length > 0) {
      const event = target.queued[0]!;
      try {
        await sink.write(event);
      } catch (error) {
        throw storeFailure(target, event, error);
      }
      target.queued.shift();
    }
  }

  function serialise<T>(target: Chain, task: () => Promise<T>): Promise<T> {
    target.busy++;
    const run = target.tail.then(task, task);
    target.tail = run.then(target.done, target.done);
    return run;
  }

  const closedError = (what: string) =>
    new AuditFailed(`audit log is closed: ${what} (create a new log to record more)`);

  /** Numbers, hashes and queues one event on the chain's head. @throws AuditFailed when it cannot be built */
  const chainEvent = (target: Chain, head: string, draft: AuditEventDraft): AuditEvent => {
    let event: AuditEvent;
    try {
      const id = randomUUID();
      const at = draft.at ?? isoNow();
      const built = buildAuditEvent(draft, id, target.id, at, head);
      if (built) {
        built.hash = hashBuiltAuditEvent(built); // added last: the hash covers every field before it
        event = built;
      } else {
        // A draft with fields of its own: kept and hashed field for field, as given.
        const unhashed = { id, ...draft, chain: target.id, at, prevHash: head };
        event = { ...unhashed, hash: hashAuditEvent(unhashed) };
      }
    } catch (error) {
      // A clock that gives an invalid date, a field JSON cannot carry: not recorded, so nothing may run.
      throw new AuditFailed(`audit event for tool '${describeThrown(draft.tool)}' could not be built`, {
        cause: error,
      });
    }
    target.head = event.hash;
    target.queued.push(event);
    return event;
  };

  /**
   * The path of an append on an idle chain (anchored, nothing queued, no task in flight): the event is built and
   * handed to the sink at once instead of behind the chain's promise. A sink that stores synchronously (memoryAudit)
   * has stored it when this returns; one that answers with a promise holds the chain until it settles, so every later
   * append, flush and close still waits behind it. A failed write keeps the event queued, as on the serialised path.
   */
  const appendNow = (target: Chain, draft: AuditEventDraft): Promise<AuditEvent> => {
    let event: AuditEvent;
    let written: void | Promise<void>;
    let settlesLater: boolean;
    try {
      event = chainEvent(target, target.head as string, draft);
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      written = sink.write(event);
      // Read inside the try: an answer whose `then` throws is a failed write, not a synchronous throw from append.
      settlesLater = typeof (written as Promise<void> | undefined)?.then === 'function';
    } catch (error) {
      return Promise.reject(storeFailure(target, event, error));
    }
    if (!settlesLater) {
      target.queued.shift();
      return Promise.resolve(event);
    }
    target.busy++;
    const stored = Promise.resolve(written).then(
      () => {
        target.queued.shift();
        return event;
      },
      (error: unknown) => {
        throw storeFailure(target, event, error);
      },
    );
    target.tail = stored.then(target.done, target.done);
    return stored;
  };

  return {
    append(draft) {
      if (closed) return Promise.reject(closedError(`event for tool '${draft.tool}' not recorded`));
      if (chain && chain.busy === 0 && chain.head !== undefined && chain.queued.length === 0) {
        return appendNow(chain, draft);
      }
      const chainAndStore = (target: Chain) =>
        serialise(target, async () => {
          target.head ??= await anchor();
          const event = chainEvent(target, target.head, draft);
          await drain(target);
          return event;
        });
      // Synchronously once the chain is known, so an append issued before close() is queued before close's flush.
      return chain ? chainAndStore(chain) : findChain().then(chainAndStore);
    },
    flush() {
      if (closed) return Promise.reject(closedError('nothing to flush through it'));
      return findChain().then((target) => serialise(target, () => drain(target)));
    },
    get pending() {
      return chain?.queued.length ?? 0;
    },
    close() {
      closed = true;
      closing ??= (async () => {
        // After the appends accepted before close(): they were queued on the same promise chain.
        const target = chain ?? (finding ? await finding.catch(() => undefined) : undefined);
        if (target) await serialise(target, () => drain(target));
        if (!released) {
          released = true;
          const users = (sinkUsers.get(sink) ?? 1) - 1;
          sinkUsers.set(sink, users);
          lastUser = users === 0;
        }
        if (lastUser) await sink.close?.();
      })().catch((error: unknown) => {
        closing = undefined; // a later close() tries again
        throw error;
      });
      return closing;
    },
  };
}

/** The system clock as ISO 8601 text, formatted once per millisecond (a burst of events shares the text). */
function systemIsoClock(): () => string {
  let lastMs = Number.NaN;
  let lastText = '';
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastText = new Date(ms).toISOString();
      lastMs = ms;
    }
    return lastText;
  };
}
