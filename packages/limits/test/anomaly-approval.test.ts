import { createApprovals } from '@agentgate/approval';
import {
  type AuditEvent,
  createGate,
  createSession,
  type Guard,
  isGateInterrupt,
  MemoryLimitStore,
  MemoryStore,
  memoryAudit,
  verifyAuditChain,
} from '@agentgate/core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { anomaly, quota } from '../src/index';

const transferSchema = z.object({ to: z.string(), amountCents: z.number().int().positive() });
type Transfer = z.output<typeof transferSchema>;

/** A call settled into its result or its error. */
interface Outcome {
  value?: { sent: number };
  error?: unknown;
}
const settle = (promise: Promise<{ sent: number }>): Promise<Outcome> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

const alice = createSession({
  sub: 'alice',
  iss: 'https://id.example/',
  tenant: 'acme',
  id: 'run-alice',
  agent: { id: 'billing-bot' },
});

/**
 * The anomaly → approval hand-off through a real `@agentgate/approval` in-app flow: the anomaly guard, then
 * `approvals.guard({ when: anomaly.requiresApproval })`, one audit sink for both, one MemoryStore for the records.
 */
function setup() {
  let now = Date.UTC(2026, 2, 2, 10, 0, 0);
  const clock = () => now;
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const approvals = createApprovals({ store: new MemoryStore(), audit });
  const unusual = anomaly<Transfer>({
    store: new MemoryStore({ now: clock }),
    counters: new MemoryLimitStore({ now: clock }),
    rules: { magnitude: { value: ({ args }) => args.amountCents, factor: 3 } },
    response: 'approval',
    learningCalls: 3,
    now: clock,
  });
  const executed = vi.fn(async (args: Transfer) => ({ sent: args.amountCents }));
  const transfer = gate.protect(
    { name: 'transfer', risk: 'high', schema: transferSchema },
    [
      unusual,
      approvals.guard<Transfer>({
        channel: 'in-app',
        mode: 'interrupt',
        when: unusual.requiresApproval,
        details: ({ args }) => [{ type: 'payment', to: args.to, amountCents: args.amountCents }],
        bindingMessage: ({ args }) => `Send ${args.amountCents} cents to ${args.to}`,
      }),
    ],
    (args) => executed(args),
  );
  const send = (amountCents: number) => settle(transfer({ to: 'acct-9', amountCents }, { session: alice }));
  const pendingId = async (amountCents: number): Promise<string> => {
    const { error } = await send(amountCents);
    if (!isGateInterrupt(error) || error.code !== 'APPROVAL_PENDING')
      throw new Error(`not pending: ${error}`);
    return error.details.approvalId as string;
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { approvals, audit, executed, send, pendingId, advance };
}

const guardEvents = (events: readonly AuditEvent[], guard: string) =>
  events.filter((event) => event.phase === 'guard' && event.guard === guard);

describe('anomaly → approval hand-off with @agentgate/approval (in-app)', () => {
  it('asks for no approval on usual calls, asks on an unusual one, and runs it once after the user approves', async () => {
    const h = setup();
    for (const amount of [100, 80, 120]) {
      expect(await h.send(amount)).toEqual({ value: { sent: amount } });
      h.advance(60_000);
    }
    // Usual after learning: the approval guard is asked, says no approval is needed, and nothing is requested.
    expect(await h.send(300)).toEqual({ value: { sent: 300 } });
    expect(await h.approvals.list({ sub: 'alice' })).toHaveLength(0);
    expect(guardEvents(h.audit.events, 'approval(in-app)').at(-1)).toMatchObject({
      outcome: 'allow',
      reason: 'no approval required for these arguments',
    });

    // Unusual (5,000 > 3 × 120, the largest learned): the anomaly guard allows with its reason on record, the approval guard interrupts.
    const id = await h.pendingId(5_000);
    expect(h.executed).toHaveBeenCalledTimes(4);
    expect(guardEvents(h.audit.events, 'anomaly').at(-1)).toMatchObject({
      outcome: 'allow',
      reason: expect.stringMatching(/^unusual, approval required: magnitude: 41\.7× the largest/),
    });
    expect(await h.approvals.get(id)).toMatchObject({
      status: 'pending',
      bindingMessage: 'Send 5000 cents to acct-9',
    });

    await h.approvals.decide(id, { session: alice, decision: 'approve' });
    // The same call again: still unusual (an approval teaches nothing), so the approval guard consumes the decision.
    expect(await h.send(5_000)).toEqual({ value: { sent: 5_000 } });
    expect(h.executed).toHaveBeenCalledTimes(5);
    expect(h.executed).toHaveBeenLastCalledWith({ to: 'acct-9', amountCents: 5_000 });
    await expect(h.approvals.get(id)).resolves.toMatchObject({ status: 'consumed' });
    // A replay of the used approval is refused; the amount is still unusual and needs a new approval.
    expect((await h.send(5_000)).error).toMatchObject({ code: 'FORBIDDEN', details: { approvalId: id } });
    expect(h.executed).toHaveBeenCalledTimes(5);
    expect(verifyAuditChain(h.audit.events).valid).toBe(true);
  });

  it('does not run a denied unusual call, and a denial does not teach the baseline', async () => {
    const h = setup();
    for (const amount of [100, 100, 100]) {
      await h.send(amount);
      h.advance(60_000);
    }
    const id = await h.pendingId(1_000);
    await h.approvals.decide(id, { session: alice, decision: 'deny' });
    expect((await h.send(1_000)).error).toMatchObject({
      code: 'APPROVAL_DENIED',
      details: { approvalId: id },
    });
    expect(h.executed).toHaveBeenCalledTimes(3);
    // Asked again, it is still unusual: a fresh approval, not a run.
    const again = await h.pendingId(1_000);
    expect(again).not.toBe(id);
    expect(h.executed).toHaveBeenCalledTimes(3);
  });
});

describe('a spend quota with an interrupt-mode approval guard', () => {
  /** A daily budget of 500 cents and an in-app approval for every transfer, in the order given. */
  function withQuota(order: 'quota-first' | 'approval-first') {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const approvals = createApprovals({ store: new MemoryStore(), audit });
    const budget = quota<Transfer>({
      store: new MemoryLimitStore(),
      key: 'user',
      limit: 500,
      period: 'day',
      cost: ({ args }) => args.amountCents,
    });
    const approval = approvals.guard<Transfer>({
      channel: 'in-app',
      mode: 'interrupt',
      details: ({ args }) => [{ type: 'payment', to: args.to, amountCents: args.amountCents }],
      bindingMessage: ({ args }) => `Send ${args.amountCents} cents to ${args.to}`,
    });
    const guards: Guard<Transfer>[] = order === 'quota-first' ? [budget, approval] : [approval, budget];
    const executed = vi.fn(async (args: Transfer) => ({ sent: args.amountCents }));
    const transfer = gate.protect(
      { name: 'transfer', risk: 'high', schema: transferSchema },
      guards,
      (args) => executed(args),
    );
    const send = (amountCents: number) => settle(transfer({ to: 'acct-9', amountCents }, { session: alice }));
    /** Asks, approves and runs again: what the app does in interrupt mode. */
    const approveAndRun = async (amountCents: number): Promise<Outcome> => {
      const { error } = await send(amountCents);
      if (!isGateInterrupt(error) || error.code !== 'APPROVAL_PENDING') return { error };
      await approvals.decide(error.details.approvalId as string, { session: alice, decision: 'approve' });
      return send(amountCents);
    };
    return { approveAndRun, executed };
  }

  it('charges each run when the quota comes first: the asking run and the approved run', async () => {
    const h = withQuota('quota-first');
    // 400 fits 500, but the run that asked for the approval was charged too: the approved run no longer fits.
    expect((await h.approveAndRun(400)).error).toMatchObject({
      code: 'RATE_LIMITED',
      guard: 'quota(user, 500/day)',
    });
    expect(h.executed).not.toHaveBeenCalled();
  });

  it('charges the approved run once when the quota comes after the approval guard', async () => {
    const h = withQuota('approval-first');
    expect(await h.approveAndRun(400)).toEqual({ value: { sent: 400 } });
    expect(await h.approveAndRun(100)).toEqual({ value: { sent: 100 } });
    // The budget is spent: the next approved transfer is refused before it runs (its approval is used up).
    expect((await h.approveAndRun(1)).error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(h.executed).toHaveBeenCalledTimes(2);
  });
});
