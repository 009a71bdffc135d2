import { link, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { acquireAuditFile, appendAuditLine, releaseAuditFile } from '../src/audit/jsonl-file';
import {
  type AuditEvent,
  type AuditEventDraft,
  type AuditSink,
  createAuditLog,
  createGate,
  createSession,
  GENESIS_HASH,
  hashAuditEvent,
  jsonlAudit,
  memoryAudit,
  readAuditLog,
  verifyAuditChain,
} from '../src/index';

const draft = (callId: string, extra: Partial<AuditEventDraft> = {}): AuditEventDraft => ({
  tool: 't',
  callId,
  phase: 'execute',
  outcome: 'executed',
  ...extra,
});

async function auditFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'agentgate-audit-')), 'audit.jsonl');
}

describe('jsonlAudit on one file within a process', () => {
  it('gives two gates on the same path one chain', async () => {
    const path = await auditFile();
    const gates = [createGate({ audit: jsonlAudit(path) }), createGate({ audit: jsonlAudit(path) })];
    const session = createSession({ sub: 'alice', subjectToken: 'token' });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        gates[index % 2]!.run({ tool: { name: 't' }, args: {} }, session, [], () => index),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, index) => index));
    await Promise.all(gates.map((gate) => gate.audit?.close?.()));
    const events = await readAuditLog(path);
    expect(events).toHaveLength(80);
    const verdict = verifyAuditChain(events);
    expect(verdict).toMatchObject({ valid: true, chains: [{ count: events.length, anchor: GENESIS_HASH }] });
    expect(verdict.chains).toHaveLength(1);
  });

  it('gives one chain to a path spelled differently, a symlink and a hard link', async () => {
    const path = await auditFile();
    const folder = join(path, '..');
    await mkdir(join(folder, 'sub'));
    await writeFile(path, '');
    await symlink(path, join(folder, 'via-symlink.jsonl'));
    await link(path, join(folder, 'via-hardlink.jsonl'));
    const spellings = [
      path,
      join(folder, 'sub', '..', 'audit.jsonl'),
      relative(process.cwd(), path),
      join(folder, 'via-symlink.jsonl'),
      join(folder, 'via-hardlink.jsonl'),
    ];
    const logs = spellings.map((spelling) => createAuditLog({ sink: jsonlAudit(spelling) }));
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => logs[index % logs.length]!.append(draft(String(index)))),
    );
    await Promise.all(logs.map((log) => log.close()));
    const events = await readAuditLog(path);
    expect(events).toHaveLength(50);
    expect(verifyAuditChain(events)).toMatchObject({ valid: true, chains: [{ count: 50 }] });
    expect(new Set(events.map((event) => event.chain)).size).toBe(1);
  });

  it('keeps the file open for the other sinks when one closes, and starts a new chain once all have closed', async () => {
    const path = await auditFile();
    const first = createAuditLog({ sink: jsonlAudit(path) });
    const second = createAuditLog({ sink: jsonlAudit(path) });
    const a = await first.append(draft('1'));
    await second.append(draft('2'));
    await first.close();
    await expect(first.append(draft('3'))).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
      message: "audit log is closed: event for tool 't' not recorded (create a new log to record more)",
    });
    const b = await second.append(draft('4'));
    expect(b.chain).toBe(a.chain);
    const joining = createAuditLog({ sink: jsonlAudit(path) });
    expect((await joining.append(draft('5'))).chain).toBe(a.chain);
    await second.close();
    await joining.close();

    const after = createAuditLog({ sink: jsonlAudit(path) });
    const c = await after.append(draft('6'));
    await after.close();
    const events = await readAuditLog(path);
    expect(c.chain).not.toBe(a.chain);
    expect(c.prevHash).toBe(events[3]!.hash);
    expect(events.map((event) => event.callId)).toEqual(['1', '2', '4', '5', '6']);
    expect(verifyAuditChain(events)).toMatchObject({ valid: true, chains: [{ count: 4 }, { count: 1 }] });
  });

  it('continues a file written before chains had ids', async () => {
    const path = await auditFile();
    const legacy: AuditEvent[] = [];
    for (const callId of ['old-1', 'old-2']) {
      const unhashed = {
        id: callId,
        ...draft(callId),
        at: '2026-01-01T00:00:00.000Z',
        prevHash: legacy.at(-1)?.hash ?? GENESIS_HASH,
      };
      legacy.push({ ...unhashed, hash: hashAuditEvent(unhashed) });
    }
    await writeFile(path, legacy.map((event) => `${JSON.stringify(event)}\n`).join(''));
    const log = createAuditLog({ sink: jsonlAudit(path) });
    const event = await log.append(draft('new'));
    await log.close();
    expect(event.prevHash).toBe(legacy[1]!.hash);
    expect(verifyAuditChain(await readAuditLog(path))).toMatchObject({
      valid: true,
      chains: [
        { id: null, count: 2 },
        { id: event.chain, count: 1 },
      ],
    });
  });

  it('starts a new event on its own line after a line a crashed writer left unfinished', async () => {
    const path = await auditFile();
    const log = createAuditLog({ sink: jsonlAudit(path) });
    const stored = await log.append(draft('1'));
    await log.close();
    await writeFile(path, '{"id":"torn', { flag: 'a' });
    const next = createAuditLog({ sink: jsonlAudit(path) });
    const event = await next.append(draft('2'));
    await next.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines[1]).toBe('{"id":"torn');
    expect(JSON.parse(lines[2]!)).toEqual(event);
    expect(event.prevHash).toBe(stored.hash);
    const torn: unknown[] = [];
    const read = await readAuditLog(path, { onTornLine: (line) => torn.push(line) });
    expect(read).toEqual([stored, event]);
    expect(torn).toEqual([{ number: 2, text: '{"id":"torn' }]);
    expect(verifyAuditChain(read)).toMatchObject({ valid: true, count: 2 });
  });

  it('after a write cut short, the retried event starts on a line of its own and the log still verifies', async () => {
    const path = await auditFile();
    const file = await acquireAuditFile(path);
    await file.ready;
    const realWrite = file.handle.write.bind(file.handle);
    let cut = true;
    // A full disk: the first write stores only part of the line (a fault a real file system gives under ENOSPC).
    (file.handle as { write: unknown }).write = async (
      bytes: Buffer,
      offset: number,
      length: number,
      position: null,
    ) => {
      if (!cut) return realWrite(bytes, offset, length, position);
      cut = false;
      return realWrite(bytes, offset, Math.floor(length / 3), position);
    };
    await expect(appendAuditLine(file, '{"id":"1"}\n')).rejects.toThrow(/short write/);
    await appendAuditLine(file, '{"id":"1"}\n');
    await releaseAuditFile(file);
    const text = await readFile(path, 'utf8');
    expect(text).toBe('{"i\n{"id":"1"}\n');
    expect(await readAuditLog(path)).toEqual([{ id: '1' }]);
  });

  it('ends an unfinished line before a second sink opening the file at the same moment writes', async () => {
    const path = await auditFile();
    await writeFile(path, '{"id":"torn');
    const logs = [createAuditLog({ sink: jsonlAudit(path) }), createAuditLog({ sink: jsonlAudit(path) })];
    const events = await Promise.all(logs.map((log, index) => log.append(draft(String(index)))));
    await Promise.all(logs.map((log) => log.close()));
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines[0]).toBe('{"id":"torn');
    expect(lines.at(-1)).toBe('');
    // Which of the two appends is chained first is up to the shared queue; both are whole lines of one valid chain.
    const stored = lines.slice(1, -1).map((line) => JSON.parse(line) as AuditEvent);
    const byCallId = (a: AuditEvent, b: AuditEvent) => a.callId.localeCompare(b.callId);
    expect([...stored].sort(byCallId)).toEqual([...events].sort(byCallId));
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true, count: 2 });
  });

  it('finds the last event when it is longer than one read from the end', async () => {
    const path = await auditFile();
    const log = createAuditLog({ sink: jsonlAudit(path) });
    await log.append(draft('1'));
    const long = await log.append(draft('2', { reason: 'x'.repeat(200_000) }));
    await log.close();
    const next = createAuditLog({ sink: jsonlAudit(path) });
    expect((await next.append(draft('3'))).prevHash).toBe(long.hash);
    await next.close();
    expect(verifyAuditChain(await readAuditLog(path)).valid).toBe(true);
  });
});

describe('JsonlAuditSink.close', () => {
  it('waits for a write in flight, then rejects writes with AuditFailed; twice is fine', async () => {
    const path = await auditFile();
    const sink = jsonlAudit(path);
    const event = (await createAuditLog({ sink: memoryAudit() }).append(draft('1'))) as AuditEvent;
    const writing = sink.write(event);
    await sink.close();
    await writing;
    expect(await readAuditLog(path)).toEqual([event]);
    await expect(sink.write(event)).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
      message: `jsonlAudit('${path}') is closed: the event was not written`,
    });
    await expect(sink.lastHash?.()).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('leaves a stream open for its owner', async () => {
    const stream = new PassThrough();
    const sink = jsonlAudit(stream);
    await sink.close();
    expect(stream.writableEnded).toBe(false);
    await expect(sink.write({} as AuditEvent)).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
      message: 'jsonlAudit(stream) is closed: the event was not written',
    });
  });

  it('gives two sinks on one stream one chain', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
    const logs = [createAuditLog({ sink: jsonlAudit(stream) }), createAuditLog({ sink: jsonlAudit(stream) })];
    for (let index = 0; index < 6; index++) await logs[index % 2]!.append(draft(String(index)));
    const events = lines.map((line) => JSON.parse(line) as AuditEvent);
    expect(verifyAuditChain(events)).toMatchObject({ valid: true, chains: [{ count: 6 }] });
  });
});

describe('AuditLog.close', () => {
  it('stores events still queued, then closes the sink once, however often it is called', async () => {
    const stored: AuditEvent[] = [];
    let failures = 1;
    let closes = 0;
    const sink: AuditSink = {
      write: (event) => {
        if (failures-- > 0) throw new Error('disk full');
        stored.push(event);
      },
      close: async () => void closes++,
    };
    const log = createAuditLog({ sink });
    await expect(log.append(draft('1'))).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    expect(log.pending).toBe(1);
    await Promise.all([log.close(), log.close()]);
    await log.close();
    expect(log.pending).toBe(0);
    expect(stored.map((event) => event.callId)).toEqual(['1']);
    expect(closes).toBe(1);
    await expect(log.flush()).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
  });

  it('rejects when queued events still cannot be stored, keeps them, and closes on a later try', async () => {
    const stored: AuditEvent[] = [];
    let failing = true;
    let closes = 0;
    const log = createAuditLog({
      sink: {
        write: (event) => {
          if (failing) throw new Error('disk full');
          stored.push(event);
        },
        close: async () => void closes++,
      },
    });
    await expect(log.append(draft('1'))).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    await expect(log.close()).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
      message: expect.stringMatching(/^audit sink failed to store event [\w-]+ \(1 queued\)$/),
    });
    expect(closes).toBe(0);
    await expect(log.append(draft('2'))).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    failing = false;
    await log.close();
    expect(stored.map((event) => event.callId)).toEqual(['1']);
    expect(closes).toBe(1);
  });

  it.each([
    ['the first append', [] as string[]],
    ['an append after the first', ['0']],
  ])('stores %s when it was issued just before close()', async (_, before) => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    for (const callId of before) await log.append(draft(callId));
    const appending = log.append(draft('1'));
    await log.close();
    await expect(appending).resolves.toMatchObject({ callId: '1' });
    expect(sink.events.map((event) => event.callId)).toEqual([...before, '1']);
  });

  it('leaves a sink open while another log still uses it', async () => {
    const sink = memoryAudit();
    const first = createAuditLog({ sink });
    const second = createAuditLog({ sink });
    await first.append(draft('1'));
    await first.close();
    await second.append(draft('2'));
    expect(verifyAuditChain(sink.events)).toMatchObject({ valid: true, chains: [{ count: 2 }] });
    await second.close();
    expect(() => sink.write(sink.events[0]!)).toThrow(
      expect.objectContaining({
        code: 'AUDIT_FAILED',
        message: expect.stringMatching(/^memoryAudit\(\) is closed/),
      }),
    );
  });

  it('says the sink is closed when a log writes through a sink closed under it', async () => {
    const path = await auditFile();
    const sink = jsonlAudit(path);
    const log = createAuditLog({ sink });
    await log.append(draft('1'));
    await sink.close();
    await expect(log.append(draft('2'))).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
      message: expect.stringContaining(`(1 queued): jsonlAudit('${path}') is closed`),
    });
    expect(log.pending).toBe(1);
  });
});
