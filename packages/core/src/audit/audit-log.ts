import { randomUUID } from 'node:crypto';
import { AuditFailed } from '../errors';
import { type AuditEvent, type AuditEventDraft, GENESIS_HASH, hashAuditEvent } from './event';

/** Where audit events go. `write` must not resolve before the event is stored. */
export interface AuditSink {
  write(event: AuditEvent): void | Promise<void>;
  /** The hash of the last event already stored, so a restarted process continues the chain. */
  lastHash?(): Promise<string | undefined>;
}

/** The hash-chained log a gate writes to. */
export interface AuditLog {
  /** Numbers, chains and stores an event. @throws AuditFailed when the sink fails (the event stays queued). */
  append(draft: AuditEventDraft): Promise<AuditEvent>;
  /** Retries events whose write failed. @throws AuditFailed when the sink still fails. */
  flush(): Promise<void>;
  /** Events chained but not yet stored because the sink failed. */
  readonly pending: number;
}

export interface CreateAuditLogOptions {
  sink: AuditSink;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * Wraps a sink in a hash chain. Writes are serialised; an event whose write fails is kept and written before any
 * later event, so the stored chain never has a gap.
 */
export function createAuditLog(options: CreateAuditLogOptions): AuditLog {
  if (typeof options?.sink?.write !== 'function')
    throw new TypeError('createAuditLog: options.sink must have write()');
  const { sink } = options;
  const now = options.now ?? (() => new Date());
  const queued: AuditEvent[] = [];
  let head: Promise<string> | undefined;
  let tail: Promise<unknown> = Promise.resolve();

  const lastHash = async (): Promise<string> => {
    if (!head) {
      const pending = Promise.resolve(sink.lastHash?.()).then((hash) => hash ?? GENESIS_HASH);
      head = pending;
      try {
        await pending;
      } catch (error) {
        head = undefined; // not cached: the next append asks the sink again
        throw new AuditFailed('audit sink could not tell the last hash of its chain', { cause: error });
      }
    }
    return head;
  };

  async function drain(): Promise<void> {
    while (queued.length > 0) {
      const event = queued[0]!;
      try {
        await sink.write(event);
      } catch (error) {
        throw new AuditFailed(`audit sink failed to store event ${event.id} (${queued.length} queued)`, {
          cause: error,
        });
      }
      queued.shift();
    }
  }

  function serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  }

  return {
    append(draft) {
      return serialise(async () => {
        const prevHash = queued.at(-1)?.hash ?? (await lastHash());
        const unhashed = { id: randomUUID(), ...draft, at: draft.at ?? now().toISOString(), prevHash };
        const event: AuditEvent = { ...unhashed, hash: hashAuditEvent(unhashed) };
        head = Promise.resolve(event.hash);
        queued.push(event);
        await drain();
        return event;
      });
    },
    flush: () => serialise(drain),
    get pending() {
      return queued.length;
    },
  };
}
