import { isGateInterrupt, MemoryStore, type Store, verifyAuditChain } from '@agentgate/core';
import { describe, expect, it } from 'vitest';
import { getApproval } from '../src/index';
import { approvalEvents, harness, outcome, sessionFor, until } from './helpers';

const args = { orderId: '1042', amount: 240 };

describe('createApprovals — in-app channel', () => {
  it('interrupts with the id, binding message and details, then runs once after the same user approves', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');

    const first = await outcome(h.refund(args, alice));
    expect(first.error).toMatchObject({ code: 'APPROVAL_PENDING' });
    if (!isGateInterrupt(first.error) || first.error.code !== 'APPROVAL_PENDING') throw first.error;
    const json = JSON.parse(JSON.stringify(first.error));
    expect(json.details).toMatchObject({
      approvalId: expect.any(String),
      channel: 'in-app',
      bindingMessage: 'Refund 240 EUR on order 1042',
      authorizationDetails: [{ type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' }],
    });
    const id = first.error.details.approvalId!;
    // The record names the tool call it was requested for: the call the audit trail shows requesting it.
    const requested = h.audit.events.find((event) => event.outcome === 'requested');
    expect((await h.approvals.get(id))?.callId).toEqual(requested?.callId);
    expect(requested?.callId).toEqual(expect.any(String));
    // The same call again resumes the same record instead of asking twice.
    await expect(h.refund(args, alice)).rejects.toMatchObject({ details: { approvalId: id } });
    expect(await h.approvals.list({ sub: 'alice' })).toHaveLength(1);

    await expect(h.approvals.decide(id, { session: alice, decision: 'approve' })).resolves.toMatchObject({
      id,
      status: 'approved',
    });
    await expect(h.refund(args, alice)).resolves.toEqual({ refunded: '1042', amount: 240 });
    expect(h.executed).toHaveBeenCalledTimes(1);
    await expect(h.approvals.get(id)).resolves.toMatchObject({ status: 'consumed' });

    // A replay of the used approval is refused and audited.
    await expect(h.refund(args, alice)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { approvalId: id },
    });
    expect(h.executed).toHaveBeenCalledTimes(1);
    expect(approvalEvents(h.audit.events)).toEqual([
      'requested',
      'pending',
      'pending',
      'approved',
      'consumed',
      'deny',
    ]);
    const allowed = h.audit.events.filter((event) => event.phase === 'guard' && event.outcome === 'allow');
    expect(allowed).toMatchObject([{ approvalId: id }]);
    expect(verifyAuditChain(h.audit.events).valid).toBe(true);
  });

  it('denies with APPROVAL_DENIED, and the next call asks again', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await h.approvals.decide(id, { session: alice, decision: 'deny' });
    await expect(h.refund(args, alice)).rejects.toMatchObject({
      code: 'APPROVAL_DENIED',
      details: { approvalId: id },
    });
    const again = await outcome(h.refund(args, alice));
    expect(again.error).toMatchObject({ code: 'APPROVAL_PENDING' });
    expect((again.error as { details: { approvalId: string } }).details.approvalId).not.toBe(id);
    expect(h.executed).not.toHaveBeenCalled();
  });

  it('lets only the same user decide: another user, another tenant and an unknown id are all refused alike', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;

    const bob = sessionFor(undefined, 'bob');
    const aliceElsewhere = sessionFor(undefined, 'alice', { tenant: 'globex' });
    const aliceOtherIssuer = sessionFor(undefined, 'alice', { iss: 'https://evil.example/' });
    for (const session of [bob, aliceElsewhere, aliceOtherIssuer]) {
      await expect(h.approvals.decide(id, { session, decision: 'approve' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: `there is no approval ${id} for this user`,
      });
    }
    await expect(h.approvals.decide('nope', { session: alice, decision: 'approve' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'there is no approval nope for this user',
    });
    await expect(h.approvals.get(id)).resolves.toMatchObject({ status: 'pending' });
    // Bob's own identical call is his own approval: Alice's never unlocks it.
    await h.approvals.decide(id, { session: alice, decision: 'approve' });
    await expect(h.refund(args, bob)).rejects.toMatchObject({ code: 'APPROVAL_PENDING' });
    expect(h.executed).not.toHaveBeenCalled();
    // A second decision is refused.
    await expect(h.approvals.decide(id, { session: alice, decision: 'deny' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: `approval ${id} is approved, not pending`,
    });
  });

  it('does not run changed arguments under an approval given for others', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await h.approvals.decide(id, { session: alice, decision: 'approve' });

    const changed = await outcome(h.refund({ ...args, amount: 2400 }, alice));
    expect(changed.error).toMatchObject({ code: 'APPROVAL_PENDING' });
    expect((changed.error as { details: { approvalId: string } }).details.approvalId).not.toBe(id);
    expect(h.executed).not.toHaveBeenCalled();
    // The approved one is untouched and still runs its own arguments once.
    await expect(h.refund(args, alice)).resolves.toMatchObject({ amount: 240 });
    expect(h.executed).toHaveBeenCalledTimes(1);
  });

  it('runs exactly one of 20 concurrent executions of one approval', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await h.approvals.decide(id, { session: alice, decision: 'approve' });

    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(h.refund(args, alice))));
    expect(results.filter((result) => result.value !== undefined)).toHaveLength(1);
    const refused = results.filter((result) => result.error !== undefined);
    expect(refused).toHaveLength(19);
    for (const result of refused)
      expect(result.error).toMatchObject({ code: 'FORBIDDEN', details: { approvalId: id } });
    expect(h.executed).toHaveBeenCalledTimes(1);
    const events = approvalEvents(h.audit.events);
    expect(events.filter((event) => event === 'consumed')).toHaveLength(1);
    expect(events.filter((event) => event === 'deny')).toHaveLength(19);
  });

  it('waits in mode wait until the user decides, and hands the tool the approval', async () => {
    const h = harness({ channel: 'in-app', mode: 'wait' });
    const alice = sessionFor(undefined, 'alice');
    let seen: unknown;
    h.executed.mockImplementation(async () => {
      seen = getApproval();
      return 'done';
    });
    const running = h.refund(args, alice);
    let view: Awaited<ReturnType<typeof h.approvals.list>>[number] | undefined;
    await until(async () => {
      [view] = await h.approvals.list({ status: 'pending' });
      return view !== undefined;
    }, 'the waiting call’s pending approval');
    if (!view) throw new Error('unreachable');
    await h.approvals.decide(view.id, { session: alice, decision: 'approve' });
    await expect(running).resolves.toBe('done');
    expect(seen).toEqual({
      approvalId: view.id,
      channel: 'in-app',
      authorizationDetails: [{ type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' }],
    });
  });

  it('expires an undecided request (APPROVAL_EXPIRED) on its own clock', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const h = harness({ channel: 'in-app', mode: 'interrupt', requestedExpiry: 60 }, { now: () => now });
    const alice = sessionFor(undefined, 'alice');
    await expect(h.refund(args, alice)).rejects.toMatchObject({ code: 'APPROVAL_PENDING' });
    now += 61_000;
    await expect(h.refund(args, alice)).rejects.toMatchObject({ code: 'APPROVAL_EXPIRED' });
    expect(approvalEvents(h.audit.events)).toContain('expired');
  });

  it('re-validates a background session just in time: a revoked login does not run', async () => {
    let revoked = false;
    const store = new MemoryStore();
    const h = harness({ channel: 'in-app', mode: 'interrupt' }, { store });
    const revalidate = async () => {
      if (revoked)
        throw new (await import('@agentgate/core')).GateDenied('NO_SESSION', 'the login was revoked');
    };
    const alice = sessionFor(undefined, 'alice', { mode: 'background', revalidate });
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    // alice decides in person, in the app (a background session cannot decide).
    await h.approvals.decide(id, { session: sessionFor(undefined, 'alice'), decision: 'approve' });
    revoked = true;
    await expect(h.refund(args, alice)).rejects.toMatchObject({ code: 'NO_SESSION' });
    expect(h.executed).not.toHaveBeenCalled();
    // Not consumed: it stays approved, and runs once the session stands again.
    revoked = false;
    await expect(h.refund(args, alice)).resolves.toBeDefined();
    expect(h.executed).toHaveBeenCalledTimes(1);
  });

  it('keeps an approval whose decision a concurrent reader completed between its two writes (regression)', async () => {
    // An approval writes its ticket, then its decision. A reader in between (a waiting call, list(), the worker)
    // completes the decision from the ticket; the approver's own write then fails. It used to take that for a lost
    // race and withdraw its ticket — the very one the decision names — so the approval read as already used.
    const inner = new MemoryStore();
    let reader: (() => Promise<unknown>) | undefined;
    const store: Store = {
      get: (key) => inner.get(key),
      put: (key, value, options) => inner.put(key, value, options),
      delete: (key) => inner.delete(key),
      take: (key) => inner.take(key),
      add: async (key, value, options) => {
        const read = reader;
        if (read && key.includes(':decision:')) {
          reader = undefined;
          await read();
        }
        return inner.add(key, value, options);
      },
    };
    const h = harness({ channel: 'in-app', mode: 'interrupt' }, { store });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    reader = () => h.approvals.get(id);

    await expect(h.approvals.decide(id, { session: alice, decision: 'approve' })).resolves.toMatchObject({
      status: 'approved',
    });
    expect(reader).toBeUndefined(); // the reader did run in between
    await expect(h.refund(args, alice)).resolves.toEqual({ refunded: '1042', amount: 240 });
    expect(h.executed).toHaveBeenCalledTimes(1);
    expect(approvalEvents(h.audit.events).filter((event) => event === 'approved')).toHaveLength(1);
  });

  it('lets exactly one of two concurrent decisions win, and the approval it gives runs once', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    const decisions = await Promise.all([
      outcome(h.approvals.decide(id, { session: alice, decision: 'approve' })),
      outcome(h.approvals.decide(id, { session: alice, decision: 'approve' })),
    ]);
    expect(decisions.filter((decision) => decision.value !== undefined)).toHaveLength(1);
    await expect(h.refund(args, alice)).resolves.toBeDefined();
    expect(h.executed).toHaveBeenCalledTimes(1);
  });

  it('ends a waiting call when the approvals are closed; the request stays pending for a later call', async () => {
    const store = new MemoryStore();
    const h = harness({ channel: 'in-app', mode: 'wait' }, { store });
    const alice = sessionFor(undefined, 'alice');
    const running = outcome(h.refund(args, alice));
    await until(() => approvalEvents(h.audit.events).includes('pending'), 'the call waiting');
    await h.approvals.close();
    const { error } = await running;
    expect(error).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining('the approvals were closed while the call waited'),
    });
    const [view] = await h.approvals.list({ status: 'pending' });
    expect(view).toBeDefined();

    // Another instance on the same store resumes the same record.
    const next = harness({ channel: 'in-app', mode: 'interrupt' }, { store });
    await next.approvals.decide(view!.id, { session: alice, decision: 'approve' });
    await expect(next.refund(args, alice)).resolves.toBeDefined();
    expect(next.executed).toHaveBeenCalledTimes(1);
    expect(h.executed).not.toHaveBeenCalled();
  });

  it('refuses a record whose binding was changed in the store: it unlocks nothing', async () => {
    const store = new MemoryStore();
    const h = harness({ channel: 'in-app', mode: 'interrupt' }, { store });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await h.approvals.decide(id, { session: alice, decision: 'approve' });
    const key = `agentgate:approval:record:${id}`;
    const record = await store.get<{ binding: Record<string, unknown> }>(key);
    await store.put(key, { ...record, binding: { ...record!.binding, argsDigest: 'sha256:other' } });
    await expect(h.refund(args, alice)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: `approval ${id} is bound to another call`,
    });
    expect(h.executed).not.toHaveBeenCalled();
  });
});
