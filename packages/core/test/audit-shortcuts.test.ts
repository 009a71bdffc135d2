/**
 * The audited path's shortcuts (events handed over to memoryAudit, the gate's decision appender, UUIDv8 ids) never
 * change what is stored, in which order, or whether a failed write fails the call closed.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import {
  type AuditEvent,
  type AuditEventDraft,
  AuditFailed,
  type AuditSink,
  canonicalJson,
  createAuditLog,
  createGate,
  createSession,
  defineGuard,
  hashAuditEvent,
  jsonlAudit,
  memoryAudit,
  readAuditLog,
  sha256Hex,
  verifyAuditChain,
} from '../src/index';

const draft = (callId: string, extra: Record<string, unknown> = {}): AuditEventDraft =>
  ({ tool: 't', callId, phase: 'guard', outcome: 'allow', ...extra }) as AuditEventDraft;

const referenceHash = (event: AuditEvent) => {
  const { hash: _hash, ...rest } = event;
  return sha256Hex(canonicalJson(rest));
};

const alice = () => createSession({ sub: 'alice' });
const allow = (name: string) => defineGuard({ name, kind: 'noop', check: () => undefined });

describe('the shortcuts step aside for replaced parts and re-entrant appends', () => {
  it('fails closed when a sink spread from memoryAudit() overrides write() to fail', async () => {
    const memory = memoryAudit();
    let failing = false;
    // A wrapper over the memory sink, spread from it.
    const sink: AuditSink = {
      ...memory,
      write: (event) => {
        if (failing) throw new Error('disk full');
        return memory.write(event);
      },
    };
    const gate = createGate({ audit: sink });
    await gate.run({ tool: { name: 'warm' }, args: {} }, alice(), [], () => 1); // anchors the chain
    failing = true;
    let ran = false;
    await expect(
      gate.run({ tool: { name: 'pay' }, args: {} }, alice(), [], () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(ran).toBe(false);
  });

  it('fails closed when memoryAudit().write is spied on or replaced after the gate was created', async () => {
    const memory = memoryAudit();
    const gate = createGate({ audit: memory });
    await gate.run({ tool: { name: 'warm' }, args: {} }, alice(), [], () => 1);
    const write = vi.spyOn(memory, 'write').mockImplementation(() => {
      throw new Error('disk full');
    });
    let ran = false;
    await expect(
      gate.run({ tool: { name: 'pay' }, args: {} }, alice(), [], () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(ran).toBe(false);
    expect(write).toHaveBeenCalled();
  });

  it('stores a re-entrant append (from inside a synchronous write) after the event being written', async () => {
    const stored: AuditEvent[] = [];
    let reenter: (() => void) | undefined;
    const sink: AuditSink = {
      write(event) {
        const hook = reenter;
        reenter = undefined;
        hook?.();
        stored.push(structuredClone(event));
      },
      lastHash: async () => stored.at(-1)?.hash,
    };
    const log = createAuditLog({ sink });
    await log.append(draft('first')); // anchors the chain: the next append takes the direct path
    let inner: Promise<AuditEvent> | undefined;
    reenter = () => {
      inner = log.append(draft('inner'));
    };
    await log.append(draft('outer'));
    await inner;
    expect(stored.map((event) => event.callId)).toEqual(['first', 'outer', 'inner']);
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true });
  });

  it('stores a re-entrant append from inside an asynchronous write after it, once each', async () => {
    const stored: AuditEvent[] = [];
    const writes: string[] = [];
    let reenter: (() => void) | undefined;
    const sink: AuditSink = {
      write(event) {
        writes.push(event.callId);
        const hook = reenter;
        reenter = undefined;
        hook?.();
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            stored.push(structuredClone(event));
            resolve();
          }, 5),
        );
      },
    };
    const log = createAuditLog({ sink });
    await log.append(draft('first'));
    let inner: Promise<AuditEvent> | undefined;
    reenter = () => {
      inner = log.append(draft('inner'));
    };
    await log.append(draft('outer'));
    await inner;
    await log.flush();
    expect(writes).toEqual(['first', 'outer', 'inner']);
    expect(stored.map((event) => event.callId)).toEqual(['first', 'outer', 'inner']);
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true, count: 3 });
    expect(log.pending).toBe(0);
  });

  it('a gate given a log from createAuditLog still goes through its (patched) append()', async () => {
    const log = createAuditLog({ sink: memoryAudit() });
    // E.g. instrumentation that wraps the method in place, or a test that makes the log fail.
    log.append = () => Promise.reject(new AuditFailed('audit store unavailable'));
    const gate = createGate({ audit: log });
    let ran = false;
    await expect(
      gate.run({ tool: { name: 'pay' }, args: {} }, alice(), [], () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(ran).toBe(false);
  });

  it('a draft cannot choose the event id: ids stay unique UUIDv8', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    // A JS caller (or a draft carrying one field of its own) takes the general path: `{ id, ...draft }`.
    await log.append(draft('a', { id: 'dup', note: 1 }));
    await log.append(draft('b', { id: 'dup', note: 1 }));
    const ids = sink.events.map((event) => event.id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('the audited path under stress', () => {
  it('keeps stored recorded args apart from each other, from observers and from the gate (hand-over and copy paths)', async () => {
    for (const observed of [false, true]) {
      const sink = memoryAudit();
      const heard: AuditEvent[] = [];
      const gate = createGate({
        audit: sink,
        recordArgs: true,
        ...(observed
          ? {
              observers: [
                { onRunStart: () => ({ onAuditEvent: (event) => void heard.push(event as AuditEvent) }) },
              ],
            }
          : {}),
      });
      const args = { order: { id: 'o1', items: [{ sku: 'a', qty: 1 }] }, password: 'hunter2' };
      await gate.run({ tool: { name: 'pay' }, args }, alice(), [allow('one'), allow('two')], () => 1);
      await gate.run({ tool: { name: 'pay' }, args }, alice(), [allow('one'), allow('two')], () => 1);
      const withArgs = sink.events.filter((event) => event.args !== undefined);
      expect(withArgs).toHaveLength(4);
      // Every stored event holds its own copy: changing one changes no other.
      (withArgs[0]!.args as { order: { items: { qty: number }[] } }).order.items[0]!.qty = 99;
      expect((withArgs[1]!.args as { order: { items: { qty: number }[] } }).order.items[0]!.qty).toBe(1);
      (withArgs[0]!.args as { order: { items: { qty: number }[] } }).order.items[0]!.qty = 1;
      expect(JSON.stringify(sink.events)).not.toContain('hunter2');
      expect(verifyAuditChain(sink.events)).toMatchObject({ valid: true });
      // Observers hear frozen events without args, never the stored objects.
      for (const event of heard) {
        expect(Object.isFrozen(event)).toBe(true);
        expect(sink.events).not.toContain(event);
      }
      if (observed) expect(heard).toHaveLength(sink.events.length);
    }
  });

  it('hashes gate events exactly as hashAuditEvent/canonical JSON do, for odd names and recorded args', async () => {
    const sink = memoryAudit();
    const gate = createGate({ audit: sink, agent: { id: 'b\u0000t"\\' }, recordArgs: true });
    const tool = { name: 'ré"fund\\\n\u2028 \ud800 🎉 __proto__' };
    await gate.run(
      { tool, args: { z: 1, a: [null, 'x', -0, 1e21], '': { '\ud800': 'y' } } },
      alice(),
      [allow('g\u0001')],
      () => 1,
    );
    await gate.run({ tool, args: {} }, alice(), [], () => 1);
    await gate
      .run(
        { tool, args: {} },
        alice(),
        [
          defineGuard({
            name: 'no',
            kind: 'k',
            check: () => {
              throw new Error('nope');
            },
          }),
        ],
        () => 1,
      )
      .catch(() => undefined);
    expect(sink.events.length).toBeGreaterThanOrEqual(5);
    for (const event of sink.events) {
      expect(event.hash).toBe(referenceHash(event));
      expect(hashAuditEvent(event)).toBe(event.hash);
    }
    const reread = sink.events.map((event) => JSON.parse(JSON.stringify(event)) as AuditEvent);
    expect(verifyAuditChain(reread)).toMatchObject({ valid: true, count: sink.events.length });
  });

  it('builds events that look like object literals to JSON, structuredClone, inspect, vitest and instanceof', async () => {
    const sink = memoryAudit();
    const gate = createGate({ audit: sink });
    await gate.run({ tool: { name: 'pay' }, args: {} }, alice(), [allow('one')], () => 1);
    for (const event of sink.events) {
      expect(event.constructor).toBe(Object);
      expect(event instanceof Object).toBe(true);
      expect(inspect(event).startsWith('{')).toBe(true);
      expect(event).toStrictEqual({ ...event });
      expect(structuredClone(event)).toStrictEqual(event);
      expect(Object.keys(event).at(-1)).toBe('hash');
    }
    const plain: Record<string, unknown> = {};
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('fails closed on the hand-over path when the memory sink was closed, and keeps the event queued', async () => {
    const sink = memoryAudit();
    const gate = createGate({ audit: sink });
    await gate.run({ tool: { name: 'warm' }, args: {} }, alice(), [], () => 1);
    await sink.close();
    let ran = false;
    await expect(
      gate.run({ tool: { name: 'pay' }, args: {} }, alice(), [], () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(ran).toBe(false);
    expect(gate.audit?.pending).toBe(1);
    expect(sink.events).toHaveLength(2);
  });

  it('stores every decision before its tool runs, in chain order, under concurrency and a flaky async sink', async () => {
    const stored: AuditEvent[] = [];
    let writes = 0;
    const sink: AuditSink = {
      write: (event) => {
        const copy = structuredClone(event);
        const fail = ++writes % 7 === 0;
        if (writes % 5 === 0) {
          if (fail) throw new Error('sync failure');
          stored.push(copy);
          return;
        }
        return new Promise<void>((resolve, reject) =>
          setTimeout(() => {
            if (fail) reject(new Error('async failure'));
            else {
              stored.push(copy);
              resolve();
            }
          }, writes % 3),
        );
      },
      lastHash: async () => stored.at(-1)?.hash,
    };
    const gate = createGate({ audit: sink, onAuditFailure: () => undefined });
    const violations: string[] = [];
    const runs = Array.from({ length: 30 }, (_, index) =>
      gate
        .run(
          { tool: { name: 'pay' }, args: { index }, callId: `c${index}` },
          alice(),
          [allow('one'), allow('two')],
          () => {
            const decided = stored
              .filter((event) => event.callId === `c${index}`)
              .map((event) => event.guard);
            if (decided.join() !== 'one,two') violations.push(`c${index}: ${decided.join()}`);
            return index;
          },
        )
        .catch((error: unknown) => {
          if (!(error instanceof AuditFailed)) throw error;
        }),
    );
    await Promise.all(runs);
    for (let attempt = 0; attempt < 10 && (gate.audit?.pending ?? 0) > 0; attempt++) {
      await gate.audit?.flush().catch(() => undefined);
    }
    expect(violations).toEqual([]);
    expect(gate.audit?.pending).toBe(0);
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true, count: stored.length });
    expect(new Set(stored.map((event) => event.id)).size).toBe(stored.length);
  });

  it('close() right after a direct async append waits for it; later appends reject; nothing is lost', async () => {
    const stored: AuditEvent[] = [];
    const sink: AuditSink = {
      write: (event) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            stored.push(event);
            resolve();
          }, 5),
        ),
    };
    const log = createAuditLog({ sink });
    await log.append(draft('0'));
    const pending = [log.append(draft('1')), log.append(draft('2'))];
    const closing = log.close();
    await expect(log.append(draft('3'))).rejects.toBeInstanceOf(AuditFailed);
    await Promise.all(pending);
    await closing;
    expect(stored.map((event) => event.callId)).toEqual(['0', '1', '2']);
    expect(log.pending).toBe(0);
  });

  it('numbers one sequence for two jsonlAudit sinks on one file, and different prefixes for different files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-review-'));
    const path = join(dir, 'audit.jsonl');
    const logs = [createAuditLog({ sink: jsonlAudit(path) }), createAuditLog({ sink: jsonlAudit(path) })];
    await Promise.all(
      Array.from({ length: 12 }, (_, index) => logs[index % 2]!.append(draft(String(index)))),
    );
    const other = createAuditLog({ sink: jsonlAudit(join(dir, 'other.jsonl')) });
    await other.append(draft('x'));
    for (const log of [...logs, other]) await log.close();
    const events = await readAuditLog(path);
    const [otherEvent] = await readAuditLog(join(dir, 'other.jsonl'));
    expect(verifyAuditChain(events)).toMatchObject({ valid: true, count: 12 });
    expect(new Set(events.map((event) => event.chain)).size).toBe(1);
    expect(new Set(events.map((event) => event.id.slice(0, 24))).size).toBe(1);
    expect(events.map((event) => Number.parseInt(event.id.slice(24), 16))).toEqual([...Array(12).keys()]);
    expect(otherEvent!.id.slice(0, 24)).not.toBe(events[0]!.id.slice(0, 24));
  });

  it('keeps ids unique when an event could not be built (the sequence number is skipped, never reused)', async () => {
    let bad = false;
    const sink = memoryAudit();
    const log = createAuditLog({ sink, now: () => (bad ? new Date(Number.NaN) : new Date(0)) });
    await log.append(draft('a'));
    bad = true;
    await expect(log.append(draft('b'))).rejects.toBeInstanceOf(AuditFailed);
    bad = false;
    await log.append(draft('c'));
    expect(log.pending).toBe(0);
    expect(new Set(sink.events.map((event) => event.id)).size).toBe(2);
    expect(verifyAuditChain(sink.events)).toMatchObject({ valid: true, count: 2 });
  });

  it('uses a draft `at` and leaves `undefined` fields out, on the direct and the serialised path alike', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    const drafts = [
      draft('1', { at: '2020-01-01T00:00:00.000Z', guard: undefined }),
      draft('2', { at: '2020-01-01T00:00:00.000Z', guard: undefined }),
      draft('3', { at: 7, reason: null }),
    ];
    // The first goes the serialised path (anchoring), the rest the direct path.
    for (const each of drafts) await log.append(each);
    expect(sink.events[0]?.at).toBe('2020-01-01T00:00:00.000Z');
    expect(Object.keys(sink.events[1]!)).not.toContain('guard');
    for (const event of sink.events) expect(event.hash).toBe(referenceHash(event));
    expect(verifyAuditChain(sink.events.map((event) => JSON.parse(JSON.stringify(event))))).toMatchObject({
      valid: true,
    });
  });
});
