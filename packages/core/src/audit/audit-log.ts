import { randomUUID } from 'node:crypto';
import { AgentGateError, AuditFailed } from '../errors';
import { describeThrown } from '../thrown';
import {
  type AuditEvent,
  type AuditEventDraft,
  type AuditOutcome,
  type AuditPhase,
  GENESIS_HASH,
  hashAuditEvent,
  hashBuiltAuditEvent,
} from './event';
import { type CallFacts, type DecisionFacts, isKnownDraft, newAuditEvent } from './event-json';
import { CHAIN_KEY, type KeyedAuditSink, keeperOf } from './sink-keys';

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
   * @throws AuditFailed when the sink fails (the event stays queued), the log is closed (the event is not chained), or
   * the event cannot be built (the draft is not an object, a field JSON cannot carry, a clock without a valid date)
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
  /** The id of the next event stored on the chain. */
  readonly nextEventId: () => string;
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
  /** While a sink holds an event handed to it at once (see `storeNow`), until its `write` returns. */
  writing: boolean;
  /** Lets go of the work begun from inside that `write` (an append the sink made): it waits until the write is done. */
  afterWrite: (() => void) | undefined;
}

const chains = new WeakMap<object, Chain>();
/** How many open logs use a sink object: the last one to close closes the sink. */
const sinkUsers = new WeakMap<AuditSink, number>();

/**
 * Internal: how the gate appends one decision of a call without drafting an event object for it. `handOver`: the
 * gate does not need the event back (no observer follows the call), so a sink that keeps event objects may keep it
 * without a copy; the promise may then resolve to `undefined` instead of the event.
 */
export type AppendDecision = (
  call: CallFacts,
  phase: AuditPhase,
  outcome: AuditOutcome,
  decision: DecisionFacts,
  handOver: boolean,
) => Promise<AuditEvent | undefined>;

/** The decision appenders of the logs {@link createAuditLog} made (with their own `append`), kept off their shape. */
const decisionAppenders = new WeakMap<
  AuditLog,
  { readonly append: AuditLog['append']; readonly appendDecision: AppendDecision }
>();

/**
 * Internal: the gate's way into a log from {@link createAuditLog}; `undefined` for any other log, and for one whose
 * `append` was replaced since (a spy, a wrapper): the gate then calls that `append`, as for any log.
 */
export function decisionAppenderOf(log: AuditLog): AppendDecision | undefined {
  const entry = decisionAppenders.get(log);
  return entry !== undefined && entry.append === log.append ? entry.appendDecision : undefined;
}

/** What an append resolves to when it handed its event over: stored, and nothing to give back. */
const STORED: Promise<undefined> = Promise.resolve(undefined);

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
            nextEventId: eventIdSource(),
            head: undefined,
            queued: [],
            tail: Promise.resolve(),
            busy: 0,
            done: () => {
              created.busy--;
            },
            writing: false,
            afterWrite: undefined,
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
    if (target.writing && target.afterWrite === undefined) holdForWrite(target);
    target.busy++;
    const run = target.tail.then(task, task);
    target.tail = run.then(target.done, target.done);
    return run;
  }

  /**
   * Work begun from inside a sink's `write` on the direct path (the sink, or code it calls, appending): it goes behind
   * that write, which is not on the chain's promise yet, so the event being written is stored first.
   */
  function holdForWrite(target: Chain): void {
    target.busy++;
    const previous = target.tail;
    const released = new Promise<void>((resolve) => {
      target.afterWrite = () => {
        target.afterWrite = undefined;
        resolve();
      };
    });
    target.tail = released.then(() => previous).then(target.done, target.done);
  }

  const closedError = (what: string) =>
    new AuditFailed(`audit log is closed: ${what} (create a new log to record more)`);

  /**
   * Numbers and hashes one event on the chain's head, which it becomes; the caller stores or queues it. `draft` is
   * given for an event drafted by a caller of `append` (`call` and `decision` are then the draft itself), not for a
   * decision of the gate.
   * @throws AuditFailed when it cannot be built
   */
  const chainEvent = (
    target: Chain,
    head: string,
    call: CallFacts,
    phase: AuditPhase,
    outcome: AuditOutcome,
    decision: DecisionFacts,
    draft?: AuditEventDraft,
  ): AuditEvent => {
    let event: AuditEvent;
    try {
      const id = target.nextEventId();
      const at = draft?.at ?? isoNow();
      if (draft === undefined || isKnownDraft(draft)) {
        event = new newAuditEvent(call, phase, outcome, decision, id, target.id, at, head);
        event.hash = hashBuiltAuditEvent(event); // added last: the hash covers every field before it
      } else {
        // A draft with fields of its own: kept and hashed field for field, as given.
        const unhashed = { ...draft, id, chain: target.id, at, prevHash: head }; // never an id of the draft's own
        event = { ...unhashed, hash: hashAuditEvent(unhashed) };
      }
    } catch (error) {
      // A clock that gives an invalid date, a field JSON cannot carry: not recorded, so nothing may run.
      throw new AuditFailed(`audit event for tool '${describeThrown(call.tool)}' could not be built`, {
        cause: error,
      });
    }
    target.head = event.hash;
    return event;
  };

  /** Whether an append may store its event at once: the chain is anchored, nothing is queued or in flight. */
  const idle = (target: Chain | undefined): target is Chain =>
    target !== undefined &&
    target.busy === 0 &&
    !target.writing &&
    target.head !== undefined &&
    target.queued.length === 0;

  /**
   * Stores an event built on an idle chain at once instead of behind the chain's promise. A sink that stores
   * synchronously (memoryAudit) has stored it when this returns; one that answers with a promise holds the chain until
   * it settles, so every later append, flush and close still waits behind it. A failed write keeps the event queued,
   * as on the serialised path. `handOver`: nobody else gets the event, so a sink that keeps event objects may keep
   * this one without a copy (see `keeperOf`); a synchronous store then resolves to `undefined`.
   */
  const storeNow = (target: Chain, event: AuditEvent, handOver: boolean): Promise<AuditEvent | undefined> => {
    let written: void | Promise<void>;
    let settlesLater: boolean;
    const keep = handOver ? keeperOf(sink) : undefined;
    target.writing = true;
    try {
      written = keep === undefined ? sink.write(event) : keep(event);
      // Read inside the try: an answer whose `then` throws is a failed write, not a synchronous throw from append.
      settlesLater = typeof (written as Promise<void> | undefined)?.then === 'function';
    } catch (error) {
      target.writing = false;
      target.queued.push(event);
      target.afterWrite?.();
      return Promise.reject(storeFailure(target, event, error));
    }
    target.writing = false;
    if (!settlesLater) {
      target.afterWrite?.();
      return keep === undefined ? Promise.resolve(event) : STORED;
    }
    target.queued.push(event);
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
    const settled = stored.then(target.done, target.done);
    const release = target.afterWrite;
    // Work begun inside the write already waits on the chain's promise: it goes on once the write has settled.
    if (release === undefined) target.tail = settled;
    else void settled.then(release);
    return stored;
  };

  /** Appends behind the chain's promise: anchors it first if need be, then stores every queued event in order. */
  const appendInTurn = (build: (target: Chain, head: string) => AuditEvent): Promise<AuditEvent> => {
    const chainAndStore = (target: Chain) =>
      serialise(target, async () => {
        target.head ??= await anchor();
        const event = build(target, target.head);
        target.queued.push(event);
        await drain(target);
        return event;
      });
    // Synchronously once the chain is known, so an append issued before close() is queued before close's flush.
    return chain ? chainAndStore(chain) : findChain().then(chainAndStore);
  };

  /** Appends one event: at once on an idle chain (see `storeNow`), else behind the chain's promise. */
  const appendEvent = (
    call: CallFacts,
    phase: AuditPhase,
    outcome: AuditOutcome,
    decision: DecisionFacts,
    draft: AuditEventDraft | undefined,
    handOver: boolean,
  ): Promise<AuditEvent | undefined> => {
    if (!idle(chain)) {
      return appendInTurn((target, head) => chainEvent(target, head, call, phase, outcome, decision, draft));
    }
    let event: AuditEvent;
    try {
      event = chainEvent(chain, chain.head as string, call, phase, outcome, decision, draft);
    } catch (error) {
      return Promise.reject(error);
    }
    return storeNow(chain, event, handOver);
  };

  const appendDecision: AppendDecision = (call, phase, outcome, decision, handOver) => {
    if (closed) return Promise.reject(closedError(`event for tool '${call.tool}' not recorded`));
    return appendEvent(call, phase, outcome, decision, undefined, handOver);
  };

  const log: Required<AuditLog> = {
    append(draft) {
      if (typeof draft !== 'object' || draft === null) {
        return Promise.reject(new AuditFailed('audit event could not be built: the draft is not an object'));
      }
      if (closed) return Promise.reject(closedError(`event for tool '${draft.tool}' not recorded`));
      // Not handed over: the caller gets the event, so a sink keeps a copy of it.
      return appendEvent(draft, draft.phase, draft.outcome, draft, draft, false) as Promise<AuditEvent>;
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
  decisionAppenders.set(log, { append: log.append, appendDecision });
  return log;
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

/** Event ids are the chain's random prefix and a 48-bit sequence number; a new prefix after 2^48 events. */
const EVENT_SEQUENCE_END = 2 ** 48;

/**
 * The ids of one chain's events: RFC 9562 UUIDv8 (the custom layout), 74 random bits drawn once per prefix followed
 * by a 48-bit sequence number. Two chains share a prefix with probability 2^-74, and one chain never repeats an id;
 * drawing random bytes for every event instead cost more than the rest of building it. The hash chain, not the id, is
 * what protects an event. Internal; `start`, the first sequence number, is for tests.
 */
export function eventIdSource(start = 0): () => string {
  let prefix = uuidV8Prefix();
  let next = start;
  return () => {
    if (next >= EVENT_SEQUENCE_END) {
      prefix = uuidV8Prefix();
      next = 0;
    }
    const sequence = (next++).toString(16);
    return `${prefix}${'000000000000'.slice(sequence.length)}${sequence}`;
  };
}

/** `xxxxxxxx-xxxx-8xxx-Vxxx-`: 74 random bits, the version (8) and the RFC variant (V is one of 8, 9, a, b). */
function uuidV8Prefix(): string {
  const random = randomUUID(); // a version 4 UUID: the same layout with version 4
  return `${random.slice(0, 14)}8${random.slice(15, 24)}`;
}
