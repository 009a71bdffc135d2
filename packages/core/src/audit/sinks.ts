import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { AuditSink } from './audit-log';
import type { AuditEvent } from './event';

/** An in-memory sink; `events` is the stored chain. For tests and short scripts. */
export interface MemoryAuditSink extends AuditSink {
  readonly events: AuditEvent[];
}

/** @example const audit = memoryAudit(); createGate({ audit }); … verifyAuditChain(audit.events) */
export function memoryAudit(): MemoryAuditSink {
  const events: AuditEvent[] = [];
  return {
    events,
    write(event) {
      events.push(structuredClone(event));
    },
    async lastHash() {
      return events.at(-1)?.hash;
    },
  };
}

/**
 * A JSON-lines sink: one event per line, appended to a file (created with its folders if missing; an existing file's
 * chain is continued) or written to a stream such as `process.stdout`.
 *
 * @param target a file path, or a writable stream
 * @example createGate({ audit: jsonlAudit('audit.jsonl') })
 */
export function jsonlAudit(target: string | Writable): AuditSink {
  if (typeof target !== 'string') {
    return {
      write: (event) =>
        new Promise<void>((resolve, reject) =>
          target.write(`${JSON.stringify(event)}\n`, (error) => (error ? reject(error) : resolve())),
        ),
    };
  }
  let handle: Promise<FileHandle> | undefined;
  return {
    async write(event) {
      handle ??= mkdir(dirname(target), { recursive: true }).then(() => open(target, 'a'));
      await (await handle).appendFile(`${JSON.stringify(event)}\n`, 'utf8');
    },
    async lastHash() {
      const events = await readAuditLog(target).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      });
      return events.at(-1)?.hash;
    },
  };
}

/** Reads a JSON-lines audit file back into events (blank lines skipped). */
export async function readAuditLog(path: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim().length > 0) events.push(JSON.parse(line) as AuditEvent);
  }
  return events;
}
