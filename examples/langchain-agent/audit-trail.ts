/**
 * The demo's view of the audit record: a cursor that reads what each turn appended (the "why" of each decision), and
 * the trail printed at the end — read back from the JSON-lines file, its hash chain verified, and checked for tokens.
 */
import { type AuditEvent, readAuditLog, verifyAuditChain } from '@agentgate/core';
import type { Transcript } from './transcript';

/** Reads the audit file's events appended since the last read. */
export interface AuditCursor {
  next(): Promise<AuditEvent[]>;
}

export function createAuditCursor(file: string): AuditCursor {
  let read = 0;
  return {
    async next() {
      const events = await readAuditLog(file).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing recorded yet
        throw error;
      });
      const fresh = events.slice(read);
      read = events.length;
      return fresh;
    },
  };
}

export interface AuditTrailSummary {
  events: number;
  chainIntact: boolean;
  /** Whether anything that looks like a JWT was found in an event. */
  tokensFound: boolean;
}

/** Prints every event of the file, one line each, then whether the chain verified and whether any token leaked. */
export async function printAuditTrail(transcript: Transcript, file: string): Promise<AuditTrailSummary> {
  const events = await readAuditLog(file);
  for (const event of events) {
    const step = event.guard ?? event.phase;
    transcript.line(
      `${event.hash.slice(0, 8)} ${(event.sub ?? '-').padEnd(6)}${event.tool.padEnd(17)}${step.padEnd(44)}${event.outcome.padEnd(10)}${event.code ?? ''}`,
    );
  }
  const verdict = verifyAuditChain(events);
  transcript.line(
    verdict.valid
      ? `chain verified: intact, ${verdict.count} events`
      : `chain BROKEN at event ${verdict.index + 1} (${verdict.reason})`,
  );
  const tokensFound = events.some((event) => /eyJ[\w-]+\.[\w-]+\./.test(JSON.stringify(event)));
  transcript.line(`tokens in the audit file: ${tokensFound ? 'FOUND' : 'none'}`);
  return { events: events.length, chainIntact: verdict.valid, tokensFound };
}
