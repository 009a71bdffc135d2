import {
  createGate,
  createSession,
  type GateDenied,
  type Guard,
  MemoryLimitStore,
  memoryAudit,
} from '@agentgate/core';
import { describe, expect, it, test } from 'vitest';
import { z } from 'zod';
import { quota } from '../src/index';
import { recordedFacts } from './support/recorded-facts';

const alice = createSession({ sub: 'alice' });
const bob = createSession({ sub: 'bob' });
const refund = { name: 'refund', schema: z.object({ orderId: z.string(), amountCents: z.number() }) };

function setup() {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const charged: number[] = [];
  const call = (guard: Guard, amountCents: number, session = alice) =>
    gate
      .run({ tool: refund, args: { orderId: 'o-1', amountCents } }, session, [guard], async (args) => {
        charged.push((args as { amountCents: number }).amountCents);
        return 'done';
      })
      .then(
        () => 'ran' as const,
        (error: unknown) => error as GateDenied,
      );
  return { audit, call, charged };
}

const clock = (start: number) => {
  let now = start;
  return { now: () => now, set: (value: number) => (now = value) };
};

describe('quota', () => {
  it('keeps a period’s count for a process whose clock lags, instead of a fresh budget at the period’s end', async () => {
    // One shared store on the true clock; process A on the true clock, process B 2 s behind.
    const time = clock(Date.UTC(2026, 4, 20, 23, 59, 59));
    const store = new MemoryLimitStore({ now: time.now });
    const options = { store, key: 'user', limit: 1, period: 'day', name: 'daily' } as const;
    const processA = quota({ ...options, now: time.now });
    const processB = quota({ ...options, now: () => time.now() - 2_000 });
    const { call } = setup();
    expect(await call(processA, 1)).toBe('ran');
    time.set(Date.UTC(2026, 4, 21, 0, 0, 0, 500)); // A is in the next day; B still at 23:59:58.5 of the same one
    expect(await call(processB, 1)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 2 } });
    expect(await call(processA, 1)).toBe('ran');
  });

  test.each([
    ['a leap February', Date.UTC(2028, 1, 29, 12), 'month', Date.UTC(2028, 2, 1)],
    ['a common February', Date.UTC(2027, 1, 28, 12), 'month', Date.UTC(2027, 2, 1)],
    ['a 30-day month', Date.UTC(2026, 3, 30, 23, 59, 59, 1), 'month', Date.UTC(2026, 4, 1)],
    ['December', Date.UTC(2026, 11, 31, 12), 'month', Date.UTC(2027, 0, 1)],
    ['the 29th of a leap February', Date.UTC(2028, 1, 29, 6), 'day', Date.UTC(2028, 2, 1)],
    ['New Year’s Eve', Date.UTC(2026, 11, 31, 23, 0), 'day', Date.UTC(2027, 0, 1)],
  ] as const)('%s: the %s ends in UTC where the calendar says', async (_label, start, period, end) => {
    const time = clock(start);
    const guard = quota({
      store: new MemoryLimitStore({ now: time.now }),
      key: 'user',
      limit: 1,
      period,
      now: time.now,
    });
    const { call } = setup();
    expect(await call(guard, 1)).toBe('ran');
    expect(await call(guard, 1)).toMatchObject({ details: { retryAfter: Math.ceil((end - start) / 1000) } });
    time.set(end - 1);
    expect(await call(guard, 1)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 1 } });
    time.set(end);
    expect(await call(guard, 1)).toBe('ran');
  });

  it('sums costs from the arguments and denies the call that would pass the budget', async () => {
    const time = clock(Date.UTC(2026, 4, 20, 18, 0, 0));
    const guard = quota<{ amountCents: number }>({
      store: new MemoryLimitStore({ now: time.now }),
      key: 'user',
      limit: 10_000,
      period: 'day',
      cost: ({ args }) => args.amountCents,
      now: time.now,
    });
    const { audit, call, charged } = setup();
    expect(await call(guard as Guard, 6_000)).toBe('ran');
    const over = await call(guard as Guard, 4_001);
    expect(over).toMatchObject({
      code: 'RATE_LIMITED',
      guard: 'quota(user, 10000/day)',
      details: { limit: 10_000, period: 'day', retryAfter: 6 * 3600 },
    });
    // No argument value in the denial or its audit event.
    expect(JSON.stringify((over as GateDenied).toJSON())).not.toContain('4001');
    expect(recordedFacts(audit.events.at(-1))).not.toContain('4001');
    expect(await call(guard as Guard, 4_000)).toBe('ran');
    expect(await call(guard as Guard, 1)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await call(guard as Guard, 0)).toBe('ran');
    expect(await call(guard as Guard, 1, bob)).toBe('ran');
    expect(charged).toEqual([6_000, 4_000, 0, 1]);
  });

  it('starts a new budget at midnight UTC (day) and on the 1st (month)', async () => {
    const time = clock(Date.UTC(2026, 0, 31, 23, 59, 59));
    const store = new MemoryLimitStore({ now: time.now });
    const daily = quota({ store, key: 'user', limit: 2, period: 'day', now: time.now });
    const monthly = quota({ store, key: 'user', limit: 3, period: 'month', now: time.now });
    const { call } = setup();
    expect(await call(daily, 1)).toBe('ran');
    expect(await call(daily, 1)).toBe('ran');
    expect(await call(daily, 1)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 1 } });
    for (let index = 0; index < 3; index++) expect(await call(monthly, 1)).toBe('ran');
    expect(await call(monthly, 1)).toMatchObject({ code: 'RATE_LIMITED', details: { period: 'month' } });
    time.set(Date.UTC(2026, 1, 1, 0, 0, 0));
    expect(await call(daily, 1)).toBe('ran');
    expect(await call(monthly, 1)).toBe('ran');
    time.set(Date.UTC(2026, 1, 14, 12, 0, 0));
    expect(await call(monthly, 1)).toBe('ran');
    expect(await call(monthly, 1)).toBe('ran');
    expect(await call(monthly, 1)).toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfter: (Date.UTC(2026, 2, 1) - Date.UTC(2026, 1, 14, 12)) / 1000 },
    });
  });

  it('is exact under 300 concurrent charges', async () => {
    const guard = quota<{ amountCents: number }>({
      store: new MemoryLimitStore(),
      key: 'user',
      limit: 1_000,
      period: 'day',
      cost: ({ args }) => args.amountCents,
    });
    const { call, charged } = setup();
    const outcomes = await Promise.all(Array.from({ length: 300 }, () => call(guard as Guard, 7)));
    expect(outcomes.filter((outcome) => outcome === 'ran')).toHaveLength(142); // floor(1000 / 7)
    expect(charged.reduce((sum, amount) => sum + amount, 0)).toBe(994);
  });

  test.each([
    ['negative', -5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['string', '5' as unknown as number],
  ])('denies a %s cost as INVALID_ARGUMENTS without charging', async (_, amount) => {
    const store = new MemoryLimitStore();
    const guard = quota({ store, key: 'user', limit: 100, period: 'day', cost: () => amount });
    const { audit, call, charged } = setup();
    expect(await call(guard, 1)).toMatchObject({
      code: 'INVALID_ARGUMENTS',
      guard: 'quota(user, 100/day)',
      message: expect.stringMatching(/cost of this call is not a finite number/),
    });
    expect(audit.events.at(-1)).toMatchObject({ phase: 'guard', outcome: 'deny' });
    expect(charged).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('denies a cost larger than the whole budget as FORBIDDEN (no wait would help)', async () => {
    const guard = quota<{ amountCents: number }>({
      store: new MemoryLimitStore(),
      key: 'user',
      limit: 100,
      period: 'month',
      cost: ({ args }) => args.amountCents,
    });
    const { call } = setup();
    expect(await call(guard as Guard, 101)).toMatchObject({ code: 'FORBIDDEN', details: { limit: 100 } });
  });

  it('keeps the charge when the tool fails (only admitted calls are charged, and a charge stays)', async () => {
    const store = new MemoryLimitStore();
    const guard = quota({ store, key: 'user', limit: 2, period: 'day' });
    const gate = createGate({ audit: false });
    const fail = () =>
      gate.run({ tool: refund, args: { orderId: 'o', amountCents: 1 } }, alice, [guard], async () => {
        throw new Error('provider down');
      });
    await expect(fail()).rejects.toThrow('provider down');
    await expect(fail()).rejects.toThrow('provider down');
    await expect(fail()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  test.each([
    [{ period: 'week' }, /options\.period/],
    [{ limit: 0 }, /options\.limit/],
    [{ cost: 5 }, /options\.cost/],
    [{ budget: 5 }, /unknown options\.budget/],
  ])('refuses %o at creation', (patch, message) => {
    const options = { store: new MemoryLimitStore(), key: 'user', limit: 5, period: 'day', ...patch };
    expect(() => quota(options as never)).toThrow(message);
  });
});
