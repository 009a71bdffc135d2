import { describe, expect, it } from 'vitest';
import { eventIdSource } from '../src/audit/audit-log';
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
  memoryAudit,
  sha256Hex,
  verifyAuditChain,
} from '../src/index';

/** The hash as the chain format defines it, computed the slow, general way. */
const referenceHash = (event: AuditEvent) => {
  const { hash: _hash, ...rest } = event;
  return sha256Hex(canonicalJson(rest));
};

const drafts: AuditEventDraft[] = [
  { tool: 'refund', callId: 'c1', phase: 'guard', outcome: 'allow', guard: 'fga' },
  {
    tool: 'ré"fund\\\n',
    callId: 'c2',
    phase: 'guard',
    outcome: 'deny',
    code: 'FORBIDDEN',
    reason: 'emoji 🎉, lone \ud800 surrogate, control \u0001, quote "',
    sessionId: 's',
    sub: 'alice@example.com',
    tenant: 'acme',
    agent: 'bot',
    argsDigest: 'sha256:00',
    approvalId: 'a1',
    connection: 'calendar',
  },
  {
    tool: 'refund',
    callId: 'c3',
    phase: 'guard',
    outcome: 'allow',
    args: {
      z: [1, { b: 'x', a: null }],
      a: 'ü',
      amount: 1.5,
      zero: -0,
      big: 1e21,
      tiny: 5e-324,
      '\u2028': '\u2028',
    },
  },
  { tool: 'refund', callId: 'c4', phase: 'execute', outcome: 'would-deny', at: '2020-01-01T00:00:00.000Z' },
  // Fields of its own, and a field that is not a string: the general path, hashed as given.
  {
    tool: 'refund',
    callId: 'c5',
    phase: 'guard',
    outcome: 'allow',
    extra: { y: 1, x: 2 },
  } as AuditEventDraft,
  {
    tool: 'refund',
    callId: 'c6',
    phase: 'guard',
    outcome: 'allow',
    reason: 42,
  } as unknown as AuditEventDraft,
  { tool: 'refund', callId: 'c7', phase: 'guard', outcome: 'allow', guard: undefined, code: undefined },
];

describe('the audited path', () => {
  it('hashes every event exactly as canonical JSON of its fields, so the chain format is unchanged', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    const returned: AuditEvent[] = [];
    for (const draft of drafts) returned.push(await log.append(draft));
    for (const event of [...returned, ...sink.events]) {
      expect(event.hash).toBe(referenceHash(event));
      expect(hashAuditEvent(event)).toBe(event.hash);
    }
    expect(verifyAuditChain(sink.events)).toMatchObject({ valid: true, count: drafts.length });
    // What JSON carries (a file line) verifies too, and absent fields are absent, not undefined.
    const reread = sink.events.map((event) => JSON.parse(JSON.stringify(event)) as AuditEvent);
    expect(verifyAuditChain(reread)).toMatchObject({ valid: true });
    expect(Object.keys(sink.events[0]!)).not.toContain('code');
    expect(sink.events[4]).toMatchObject({ extra: { y: 1, x: 2 } });
    expect(sink.events[3]?.at).toBe('2020-01-01T00:00:00.000Z');
  });

  it('detects an edit of any field, on either path', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    for (const draft of drafts) await log.append(draft);
    for (const [index, event] of sink.events.entries()) {
      const edited = [...sink.events];
      edited[index] = { ...event, tool: `${event.tool}!` };
      expect(verifyAuditChain(edited)).toMatchObject({ valid: false, index, reason: 'hash-mismatch' });
    }
  });

  it('uses the injected clock for every event', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink, now: () => new Date('2030-05-01T10:00:00.000Z') });
    await log.append(drafts[0]!);
    expect(sink.events[0]?.at).toBe('2030-05-01T10:00:00.000Z');
  });

  it('rejects, never throws, when what a sink answered cannot be read, and keeps the event queued', async () => {
    const answer = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('unreadable answer');
      },
    });
    let writes = 0;
    const sink: AuditSink = { write: () => (writes++ === 0 ? undefined : (answer as Promise<void>)) };
    const log = createAuditLog({ sink });
    await log.append(drafts[0]!); // anchors the chain: the next append on the idle chain takes the direct path
    let appended: Promise<AuditEvent> | undefined;
    expect(() => {
      appended = log.append(drafts[0]!);
    }).not.toThrow();
    await expect(appended).rejects.toBeInstanceOf(AuditFailed);
    expect(log.pending).toBe(1);
  });

  it('fails closed when a synchronous sink throws, keeps the event queued and stores it first later', async () => {
    const stored: AuditEvent[] = [];
    let failing = true;
    const sink: AuditSink = {
      write(event) {
        if (failing) throw new Error('disk full');
        stored.push(event);
      },
    };
    const gate = createGate({ audit: sink });
    const alice = createSession({ sub: 'alice' });
    await gate.run({ tool: { name: 'warm' }, args: {} }, alice, [], () => 'ok').catch(() => undefined);
    expect(gate.audit?.pending).toBe(1);
    let ran = false;
    await expect(
      gate.run({ tool: { name: 'pay' }, args: {} }, alice, [], () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(ran).toBe(false);
    failing = false;
    await gate.run({ tool: { name: 'pay' }, args: {} }, alice, [], () => 'paid');
    expect(stored.map((event) => [event.tool, event.outcome])).toEqual([
      ['warm', 'allow'],
      ['pay', 'allow'],
      ['pay', 'allow'],
      ['pay', 'executed'],
    ]);
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true });
  });

  it('keeps the order of events when an asynchronous write is still in flight', async () => {
    const stored: AuditEvent[] = [];
    const sink: AuditSink = {
      write: (event) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            stored.push(event);
            resolve();
          }, 5 - Number(event.callId)),
        ),
    };
    const log = createAuditLog({ sink });
    await log.append({ tool: 't', callId: '0', phase: 'guard', outcome: 'allow' });
    await Promise.all(
      [1, 2, 3, 4].map((index) =>
        log.append({ tool: 't', callId: String(index), phase: 'guard', outcome: 'allow' }),
      ),
    );
    expect(stored.map((event) => event.callId)).toEqual(['0', '1', '2', '3', '4']);
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true });
  });

  it('keeps a stored memory event apart from the object the log returned', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    const event = await log.append({ ...drafts[2]! });
    (event.args as { z: unknown[] }).z.push('changed');
    event.tool = 'changed';
    expect(sink.events[0]?.tool).toBe('refund');
    expect(verifyAuditChain(sink.events)).toMatchObject({ valid: true });
  });

  it('builds events as plain objects whose own fields are in canonical order, absent ones absent', async () => {
    const sink = memoryAudit();
    const gate = createGate({ audit: sink, agent: { id: 'bot' } });
    const allow = defineGuard({ name: 'fga', kind: 'fga', check: () => undefined });
    await gate.run(
      { tool: { name: 'pay' }, args: { amount: 5 } },
      createSession({ sub: 'alice' }),
      [allow],
      () => 1,
    );
    const log = createAuditLog({ sink });
    await log.append(drafts[1]!);
    for (const event of sink.events) {
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      const keys = Object.keys(event);
      expect(keys.at(-1)).toBe('hash');
      expect(keys.slice(0, -1)).toEqual([...keys.slice(0, -1)].sort());
      expect(Object.values(event)).not.toContain(undefined);
      // What JSON carries back is the same object, field for field and in order.
      expect(JSON.parse(JSON.stringify(event))).toStrictEqual(event);
      expect(structuredClone(event)).toStrictEqual(event);
    }
    expect(Object.keys(sink.events[0]!)).not.toContain('code');
    expect(verifyAuditChain(sink.events)).toMatchObject({ valid: true, count: 3 });
  });

  it('numbers events with UUIDv8 ids: one random prefix per chain, then a sequence number', async () => {
    const uuidV8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const shared = memoryAudit();
    const first = createAuditLog({ sink: shared });
    const second = createAuditLog({ sink: shared }); // the same store: the same chain, one sequence
    for (const log of [first, second, first]) await log.append(drafts[0]!);
    const other = memoryAudit();
    await createAuditLog({ sink: other }).append(drafts[0]!);
    const ids = shared.events.map((event) => event.id);
    for (const id of [...ids, ...other.events.map((event) => event.id)]) expect(id).toMatch(uuidV8);
    expect(new Set(ids.map((id) => id.slice(0, 24))).size).toBe(1);
    expect(ids.map((id) => Number.parseInt(id.slice(24), 16))).toEqual([0, 1, 2]);
    expect(other.events[0]?.id.slice(0, 24)).not.toBe(ids[0]?.slice(0, 24));
  });

  it('draws a new id prefix when a chain has used every sequence number', () => {
    const next = eventIdSource(2 ** 48 - 1);
    const last = next();
    const after = next();
    expect(last.slice(24)).toBe('ffffffffffff');
    expect(after.slice(24)).toBe('000000000000');
    expect(after.slice(0, 24)).not.toBe(last.slice(0, 24));
    expect(after).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-0{12}$/);
  });

  it('keeps what a memory sink stored apart from the events observers hear', async () => {
    const sink = memoryAudit();
    const heard: object[] = [];
    const gate = createGate({
      audit: sink,
      observers: [{ onRunStart: () => ({ onAuditEvent: (event) => void heard.push(event) }) }],
    });
    await gate.run({ tool: { name: 'pay' }, args: {} }, createSession({ sub: 'alice' }), [], () => 1);
    expect(heard).toHaveLength(2);
    for (const [index, event] of heard.entries()) expect(event).not.toBe(sink.events[index]);
    expect(heard).toEqual(sink.events);
  });

  it('rejects a draft that is not an object with AuditFailed, and stores nothing', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    await expect(log.append(null as unknown as AuditEventDraft)).rejects.toBeInstanceOf(AuditFailed);
    await expect(log.append('refund' as unknown as AuditEventDraft)).rejects.toBeInstanceOf(AuditFailed);
    expect(sink.events).toHaveLength(0);
    expect(log.pending).toBe(0);
  });

  it('keeps every decision of concurrent gate calls in order on a sink that stores asynchronously', async () => {
    const stored: AuditEvent[] = [];
    const sink: AuditSink = {
      write: (event) =>
        new Promise<void>((resolve) =>
          setTimeout(
            () => {
              stored.push(event);
              resolve();
            },
            Math.floor(Math.random() * 3),
          ),
        ),
    };
    const gate = createGate({ audit: sink });
    const guards = ['one', 'two'].map((name) => defineGuard({ name, kind: 'noop', check: () => undefined }));
    const alice = createSession({ sub: 'alice' });
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        gate.run(
          { tool: { name: 'pay' }, args: { index }, callId: `call-${index}` },
          alice,
          guards,
          () => index,
        ),
      ),
    );
    expect(stored).toHaveLength(60);
    expect(verifyAuditChain(stored)).toMatchObject({ valid: true, count: 60 });
    for (let index = 0; index < 20; index++) {
      const ofCall = stored.filter((event) => event.callId === `call-${index}`);
      expect(ofCall.map((event) => event.guard ?? event.outcome)).toEqual(['one', 'two', 'executed']);
    }
    expect(new Set(stored.map((event) => event.id)).size).toBe(60);
  });
});
