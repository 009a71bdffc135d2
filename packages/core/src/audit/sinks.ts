import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { AuditFailed } from '../errors';
import type { AuditSink } from './audit-log';
import type { AuditEvent } from './event';
import {
  acquireAuditFile,
  appendAuditLine,
  readLastAuditHash,
  releaseAuditFile,
  type SharedAuditFile,
} from './jsonl-file';
import { CHAIN_KEY, type KeyedAuditSink, registerKeeper } from './sink-keys';

/** An in-memory sink; `events` is the stored chain. For tests and short scripts. */
export interface MemoryAuditSink extends AuditSink {
  readonly events: AuditEvent[];
  /** Later writes reject with `AuditFailed`; `events` stays readable. Idempotent. */
  close(): Promise<void>;
}

/** A JSON-lines sink from {@link jsonlAudit}. */
export interface JsonlAuditSink extends AuditSink {
  /**
   * Waits for this sink's writes in flight, then lets go of the file; the file is closed when the last sink on it in
   * this process closes. A stream is never ended (the caller owns it). Later writes reject with `AuditFailed`.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** @example const audit = memoryAudit(); createGate({ audit }); … verifyAuditChain(audit.events) */
export function memoryAudit(): MemoryAuditSink {
  const events: AuditEvent[] = [];
  let closed = false;
  const store = (stored: AuditEvent) => {
    if (closed) throw new AuditFailed(`memoryAudit() is closed: event ${stored.id} not stored`);
    // Events are flat records of strings; only `args` (a redacted copy of the arguments) nests, and may be shared.
    if (typeof stored.args === 'object' && stored.args !== null) stored.args = structuredClone(stored.args);
    events.push(stored);
  };
  const sink: MemoryAuditSink = {
    events,
    // A copy, so the caller keeps no handle on what is stored.
    write: (event) => store({ ...event }),
    async lastHash() {
      return events.at(-1)?.hash;
    },
    async close() {
      closed = true;
    },
  };
  registerKeeper(sink, store); // an event the log hands over for good is kept as it is
  return sink;
}

/**
 * A JSON-lines sink: one event per line, appended to a file (created with its folders if missing) or written to a
 * stream such as `process.stdout`.
 *
 * Within one process, every sink on the same file (however its path is spelled: relative, with `..`, through a
 * symlink or a hard link) shares one open handle and, through {@link createAuditLog}, one chain; a new chain starts
 * from the file's last event, so a restart cannot silently drop what was stored before it. Several processes may
 * append to one file: each writes its own chain, one whole line per event (a single `O_APPEND` write, so lines never
 * interleave), and {@link verifyAuditChain} checks every chain. Local file systems only: `O_APPEND` is not atomic on
 * NFS.
 *
 * @param target a file path, or a writable stream
 * @example
 * const gate = createGate({ audit: jsonlAudit('audit.jsonl') });
 * // … on shutdown
 * await gate.audit?.close?.();
 * @throws TypeError when `target` is neither a non-empty path nor a writable stream
 */
export function jsonlAudit(target: string | Writable): JsonlAuditSink {
  if (typeof target === 'string') {
    if (target.length === 0) throw new TypeError('jsonlAudit: the path is empty');
    return fileSink(target);
  }
  if (typeof target?.write !== 'function') {
    throw new TypeError('jsonlAudit: target must be a file path or a writable stream');
  }
  return streamSink(target);
}

function fileSink(path: string): JsonlAuditSink {
  let file: Promise<SharedAuditFile> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const closedError = () => new AuditFailed(`jsonlAudit('${path}') is closed: the event was not written`);

  const acquire = (): Promise<SharedAuditFile> => {
    if (!file) {
      const opening = acquireAuditFile(path);
      file = opening;
      opening.catch(() => {
        if (file === opening) file = undefined; // not cached: the next write tries again
      });
    }
    return file;
  };
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const done = () => inFlight.delete(work);
    work.then(done, done);
    return work;
  };

  const sink: JsonlAuditSink & KeyedAuditSink = {
    write(event) {
      if (closed) return Promise.reject(closedError());
      const line = `${JSON.stringify(event)}\n`;
      return track(acquire().then((shared) => appendAuditLine(shared, line)));
    },
    lastHash() {
      if (closed) return Promise.reject(closedError());
      return track(acquire().then(readLastAuditHash));
    },
    close() {
      closed = true;
      closing ??= (async () => {
        await Promise.allSettled([...inFlight]);
        const shared = await file?.catch(() => undefined);
        if (shared) await releaseAuditFile(shared);
      })();
      return closing;
    },
    [CHAIN_KEY]: () => (closed ? Promise.reject(closedError()) : acquire()),
  };
  return sink;
}

function streamSink(stream: Writable): JsonlAuditSink {
  let closed = false;
  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  const sink: JsonlAuditSink & KeyedAuditSink = {
    write(event) {
      if (closed)
        return Promise.reject(new AuditFailed('jsonlAudit(stream) is closed: the event was not written'));
      const work = new Promise<void>((resolve, reject) =>
        stream.write(`${JSON.stringify(event)}\n`, (error) => (error ? reject(error) : resolve())),
      );
      inFlight.add(work);
      const done = () => inFlight.delete(work);
      work.then(done, done);
      return work;
    },
    close() {
      closed = true;
      closing ??= Promise.allSettled([...inFlight]).then(() => undefined);
      return closing;
    },
    // Sinks on one stream share one chain.
    [CHAIN_KEY]: () => stream,
  };
  return sink;
}

/** Options of {@link readAuditLog}. */
export interface ReadAuditLogOptions {
  /**
   * Called for each line that is not a JSON object: the part of a line a write left when it failed or a writer
   * crashed. Such a line was never linked into a chain (the event was written again on a line of its own, or never
   * stored), so it is passed over; if an attacker broke a stored event's line instead, the chain it belonged to
   * breaks and {@link verifyAuditChain} says where. Default: pass over silently.
   */
  onTornLine?: (line: { number: number; text: string }) => void;
}

/**
 * Reads a JSON-lines audit file back into events, in file order, for {@link verifyAuditChain}. Blank lines and torn
 * lines (not a JSON object: a write cut short) are passed over; `onTornLine` hears of the latter.
 */
export async function readAuditLog(path: string, options: ReadAuditLogOptions = {}): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim().length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      events.push(parsed as AuditEvent);
    else options.onTornLine?.({ number, text: line.slice(0, 200) });
  }
  return events;
}
