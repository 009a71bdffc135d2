import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AuditChainSummary } from '../src/audit/verify';
import {
  type AuditChainBreak,
  type AuditEvent,
  type AuditEventDraft,
  type AuditSink,
  createAuditLog,
  GENESIS_HASH,
  hashAuditEvent,
  verifyAuditChain,
} from '../src/index';

/**
 * Two writers on one store, as two processes on one file: each has its own log (so its own chain), both append to one
 * shared list in the order they write, and each new chain starts from the list's last event, as `jsonlAudit` does.
 */
function twoWriters() {
  const stored: AuditEvent[] = [];
  const sink = (): AuditSink => ({
    write: (event) => void stored.push(structuredClone(event)),
    lastHash: async () => stored.at(-1)?.hash,
  });
  const a = createAuditLog({ sink: sink() });
  const b = createAuditLog({ sink: sink() });
  const append = (log: typeof a, callId: string) =>
    log.append({ tool: 't', callId, phase: 'execute', outcome: 'executed' });
  return { stored, a, b, append };
}

/** a0 b0 a1 b1 a2 b2: b's chain starts from a0. */
async function interleaved() {
  const writers = twoWriters();
  for (let index = 0; index < 3; index++) {
    await writers.append(writers.a, `a${index}`);
    await writers.append(writers.b, `b${index}`);
  }
  const chainA = writers.stored[0]!.chain!;
  const chainB = writers.stored[1]!.chain!;
  return { ...writers, chainA, chainB };
}

/** Events as written before chains had ids. */
function legacyChain(count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let index = 0; index < count; index++) {
    const unhashed = {
      id: `legacy-${index}`,
      tool: 't',
      callId: String(index),
      phase: 'execute' as const,
      outcome: 'executed' as const,
      at: '2026-01-01T00:00:00.000Z',
      prevHash: events.at(-1)?.hash ?? GENESIS_HASH,
    };
    events.push({ ...unhashed, hash: hashAuditEvent(unhashed) });
  }
  return events;
}

describe('verifyAuditChain with several chains', () => {
  it('accepts two interleaved writers and reports each chain', async () => {
    const { stored, chainA, chainB } = await interleaved();
    expect(chainA).not.toBe(chainB);
    expect(verifyAuditChain(stored)).toEqual({
      valid: true,
      count: 6,
      head: stored[5]!.hash,
      chains: [
        { id: chainA, count: 3, anchor: GENESIS_HASH, head: stored[4]!.hash },
        { id: chainB, count: 3, anchor: stored[0]!.hash, head: stored[5]!.hash },
      ],
    });
  });

  it('names the chain of an edited event', async () => {
    const { stored, chainB } = await interleaved();
    stored[3] = { ...stored[3]!, outcome: 'failed' };
    expect(verifyAuditChain(stored)).toMatchObject({
      valid: false,
      index: 3,
      eventId: stored[3]!.id,
      chain: chainB,
      reason: 'hash-mismatch',
    });
  });

  it('detects an event deleted from one chain', async () => {
    const { stored, chainA } = await interleaved();
    stored.splice(2, 1); // a1
    expect(verifyAuditChain(stored)).toMatchObject({
      valid: false,
      index: 3,
      chain: chainA,
      reason: 'broken-link',
    });
  });

  it('detects events reordered within a chain', async () => {
    const { stored, chainB } = await interleaved();
    [stored[1], stored[3]] = [stored[3]!, stored[1]!]; // b1 before b0
    expect(verifyAuditChain(stored)).toMatchObject({
      valid: false,
      index: 1,
      chain: chainB,
      reason: 'broken-link',
    });
  });

  it('detects a duplicated event', async () => {
    const { stored, chainA } = await interleaved();
    stored.push(structuredClone(stored[4]!));
    expect(verifyAuditChain(stored)).toMatchObject({
      valid: false,
      index: 6,
      chain: chainA,
      reason: 'broken-link',
    });
  });

  it('detects an event moved to another chain by rewriting its chain id', async () => {
    const { stored, chainA } = await interleaved();
    const moved = { ...stored[5]!, chain: chainA, prevHash: stored[4]!.hash };
    stored[5] = { ...moved, hash: stored[5]!.hash };
    expect(verifyAuditChain(stored)).toMatchObject({
      valid: false,
      index: 5,
      chain: chainA,
      reason: 'hash-mismatch',
    });
  });

  it('detects the deleted start of the file through the chain that began after it', async () => {
    const { stored, chainB } = await interleaved();
    // a0 is gone, and with it a's whole chain: a1 is now a's first event and links to a0, which is not there.
    expect(verifyAuditChain(stored.filter((event) => event.callId !== 'a0'))).toMatchObject({
      valid: false,
      index: 0,
      reason: 'broken-link',
    });
    // Only b's events left: b's first event started from a0, which is not there.
    expect(verifyAuditChain(stored.filter((event) => event.chain === chainB))).toMatchObject({
      valid: false,
      index: 0,
      chain: chainB,
      reason: 'broken-link',
    });
  });

  it('does not see a cut tail on its own, and does with the heads anchored elsewhere', async () => {
    const { stored, chainA, chainB } = await interleaved();
    const heads = { [chainA]: stored[4]!.hash, [chainB]: stored[5]!.hash };
    const cut = stored.slice(0, 5); // b2 gone
    expect(verifyAuditChain(cut).valid).toBe(true);
    expect(verifyAuditChain(stored, { expectedHeads: heads }).valid).toBe(true);
    expect(verifyAuditChain(cut, { expectedHeads: heads })).toMatchObject({
      valid: false,
      index: 3,
      eventId: stored[3]!.id,
      chain: chainB,
      reason: 'unexpected-head',
    });
  });

  it('does not see a whole chain deleted when no later chain started from it, and does with its head anchored', async () => {
    const { stored, chainA, chainB } = await interleaved();
    const onlyA = stored.filter((event) => event.chain === chainA);
    expect(verifyAuditChain(onlyA).valid).toBe(true);
    expect(verifyAuditChain(onlyA, { expectedHeads: { [chainB]: stored[5]!.hash } })).toMatchObject({
      valid: false,
      index: -1,
      eventId: undefined,
      chain: chainB,
      reason: 'missing-chain',
    });
  });

  it('does not check the order of events of different chains', async () => {
    const { stored } = await interleaved();
    // b2 moved before a2: each chain is still in its own order.
    [stored[4], stored[5]] = [stored[5]!, stored[4]!];
    expect(verifyAuditChain(stored).valid).toBe(true);
  });
});

describe('verifyAuditChain with events written before chain ids', () => {
  it('accepts them as one chain, and a new chain that started from them', async () => {
    const legacy = legacyChain(3);
    const stored = [...legacy];
    const log = createAuditLog({
      sink: { write: (event) => void stored.push(event), lastHash: async () => stored.at(-1)?.hash },
    });
    const event = await log.append({ tool: 't', callId: 'new', phase: 'guard', outcome: 'allow' });
    expect(verifyAuditChain(stored)).toMatchObject({
      valid: true,
      chains: [
        { id: null, count: 3, anchor: GENESIS_HASH, head: legacy[2]!.hash },
        { id: event.chain, count: 1, anchor: legacy[2]!.hash, head: event.hash },
      ],
    });
  });

  it('names the chain of an edited old event as null', () => {
    const legacy = legacyChain(3);
    legacy[1] = { ...legacy[1]!, outcome: 'deny' };
    expect(verifyAuditChain(legacy)).toMatchObject({
      valid: false,
      index: 1,
      chain: null,
      reason: 'hash-mismatch',
    });
  });

  it('detects a deleted old event', () => {
    const legacy = legacyChain(3);
    legacy.splice(1, 1);
    expect(verifyAuditChain(legacy)).toMatchObject({
      valid: false,
      index: 1,
      chain: null,
      reason: 'broken-link',
    });
  });
});

describe('AuditChainVerdict', () => {
  it('narrows on valid: chains when intact, the broken chain otherwise', async () => {
    const { stored, chainB } = await interleaved();
    const intact = verifyAuditChain(stored);
    if (intact.valid) expectTypeOf(intact.chains).toEqualTypeOf<AuditChainSummary[]>();
    else expectTypeOf(intact.chain).toEqualTypeOf<string | null>();
    expect(intact.valid).toBe(true);
    stored[1] = { ...stored[1]!, tool: 'other' };
    const tampered = verifyAuditChain(stored);
    if (tampered.valid) throw new Error('the edit was not detected');
    expectTypeOf(tampered.reason).toEqualTypeOf<AuditChainBreak>();
    expectTypeOf(tampered.chains).toEqualTypeOf<undefined>();
    expect(tampered.chain).toBe(chainB);
  });

  it('keeps the chain id out of drafts: the log sets it', async () => {
    const base = { tool: 't', callId: 'c', phase: 'guard', outcome: 'allow' } as const;
    // @ts-expect-error a draft cannot choose its chain
    const typed: AuditEventDraft = { ...base, chain: 'mine' };
    const event = await createAuditLog({ sink: { write: () => undefined } }).append(typed);
    expect(event.chain).toMatch(/^[\da-f]{8}-/);
    expect(event.chain).not.toBe('mine');
  });
});
