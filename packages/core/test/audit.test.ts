import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  createAuditLog,
  GENESIS_HASH,
  hashAuditEvent,
  jsonlAudit,
  memoryAudit,
  readAuditLog,
  verifyAuditChain,
} from '../src/index';

async function chainOf(count: number): Promise<AuditEvent[]> {
  const sink = memoryAudit();
  const log = createAuditLog({ sink });
  for (let index = 0; index < count; index++) {
    await log.append({
      tool: 'refund',
      callId: `call-${index}`,
      phase: 'guard',
      outcome: 'allow',
      guard: `g${index}`,
    });
  }
  return sink.events;
}

describe('verifyAuditChain', () => {
  it('accepts an untouched chain and reports its head', async () => {
    const events = await chainOf(5);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(verifyAuditChain(events)).toEqual({
      valid: true,
      count: 5,
      head: events[4]?.hash,
      chains: [{ id: events[0]?.chain, count: 5, anchor: GENESIS_HASH, head: events[4]?.hash }],
    });
    expect(new Set(events.map((event) => event.chain)).size).toBe(1);
  });

  it('detects an edited event', async () => {
    const events = await chainOf(5);
    events[2] = { ...events[2]!, outcome: 'deny' };
    expect(verifyAuditChain(events)).toMatchObject({ valid: false, index: 2, reason: 'hash-mismatch' });
  });

  it('detects an edited event whose hash was recomputed', async () => {
    const events = await chainOf(5);
    const forged = { ...events[1]!, sub: 'mallory' };
    events[1] = { ...forged, hash: hashAuditEvent(forged) };
    expect(verifyAuditChain(events)).toMatchObject({ valid: false, index: 2, reason: 'broken-link' });
  });

  it('detects a deleted event', async () => {
    const events = await chainOf(5);
    events.splice(3, 1);
    expect(verifyAuditChain(events)).toMatchObject({ valid: false, index: 3, reason: 'broken-link' });
  });

  it('detects reordered events', async () => {
    const events = await chainOf(5);
    [events[1], events[2]] = [events[2]!, events[1]!];
    expect(verifyAuditChain(events)).toMatchObject({ valid: false, index: 1, reason: 'broken-link' });
  });

  it('detects a cut tail when the head is anchored', async () => {
    const events = await chainOf(5);
    const head = events[4]!.hash;
    expect(verifyAuditChain(events.slice(0, 4), { expectedHead: head })).toMatchObject({
      valid: false,
      reason: 'unexpected-head',
    });
    expect(verifyAuditChain(events, { expectedHead: head }).valid).toBe(true);
  });
});

describe('createAuditLog', () => {
  it('keeps the chain in append order under concurrent appends', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        log.append({ tool: 't', callId: String(index), phase: 'execute', outcome: 'executed' }),
      ),
    );
    expect(sink.events.map((event) => event.callId)).toEqual(
      Array.from({ length: 200 }, (_, index) => String(index)),
    );
    expect(verifyAuditChain(sink.events).valid).toBe(true);
  });

  it('stamps time from the given clock', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink, now: () => new Date(Date.UTC(2026, 10, 22, 12)) });
    const event = await log.append({ tool: 't', callId: 'c', phase: 'execute', outcome: 'executed' });
    expect(event.at).toBe('2026-11-22T12:00:00.000Z');
  });
});

describe('createAuditLog with a failing sink', () => {
  it('reports a sink that cannot tell its last hash as AuditFailed, and asks again next time', async () => {
    let calls = 0;
    const events: AuditEvent[] = [];
    const log = createAuditLog({
      sink: {
        write: (event) => void events.push(event),
        lastHash: async () => {
          calls++;
          if (calls === 1) throw new Error('read failed');
          return undefined;
        },
      },
    });
    await expect(
      log.append({ tool: 't', callId: '1', phase: 'guard', outcome: 'allow' }),
    ).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
    });
    await log.append({ tool: 't', callId: '2', phase: 'guard', outcome: 'allow' });
    expect(calls).toBe(2);
    expect(events.map((event) => event.callId)).toEqual(['2']);
    expect(verifyAuditChain(events).valid).toBe(true);
  });
});

describe('jsonlAudit', () => {
  it('appends JSON lines to a file; after a restart a new chain starts from the last stored event', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'agentgate-audit-')), 'nested', 'audit.jsonl');
    const first = createAuditLog({ sink: jsonlAudit(path) });
    await first.append({ tool: 't', callId: '1', phase: 'guard', outcome: 'allow' });
    const last = await first.append({ tool: 't', callId: '1', phase: 'execute', outcome: 'executed' });
    await first.close();
    const restarted = createAuditLog({ sink: jsonlAudit(path) });
    await restarted.append({ tool: 't', callId: '2', phase: 'guard', outcome: 'deny', code: 'FORBIDDEN' });
    await restarted.close();
    const events = await readAuditLog(path);
    expect(events.map((event) => event.callId)).toEqual(['1', '1', '2']);
    expect(events[2]?.chain).not.toBe(events[0]?.chain);
    expect(verifyAuditChain(events)).toMatchObject({
      valid: true,
      chains: [
        { id: events[0]?.chain, count: 2, anchor: GENESIS_HASH },
        { id: events[2]?.chain, count: 1, anchor: last.hash },
      ],
    });
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('shows a deleted line in the file as a broken link', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'agentgate-audit-')), 'audit.jsonl');
    const log = createAuditLog({ sink: jsonlAudit(path) });
    for (const callId of ['a', 'b', 'c'])
      await log.append({ tool: 't', callId, phase: 'execute', outcome: 'executed' });
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    await writeFile(path, `${[lines[0], lines[2]].join('\n')}\n`);
    expect(verifyAuditChain(await readAuditLog(path))).toMatchObject({
      valid: false,
      index: 1,
      reason: 'broken-link',
    });
  });

  it('writes to a stream', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const log = createAuditLog({ sink: jsonlAudit(stream) });
    const event = await log.append({ tool: 't', callId: 'c', phase: 'execute', outcome: 'executed' });
    expect(JSON.parse(chunks.join(''))).toEqual(event);
  });
});
