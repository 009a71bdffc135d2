import { describe, expect, it, vi } from 'vitest';
import { harness, outcome, sessionFor } from './helpers';

// Findings of an adversarial review, each pinned by a test that failed before its fix.
const args = { orderId: '1042', amount: 240 };

describe('approvals.guard — fail closed on what it is given', () => {
  it.each([
    ['a when() that forgets to return', () => undefined],
    ['a when() that returns a string', () => 'yes'],
    ['a when() that returns an object', async () => ({})],
  ])('denies GUARD_FAILED for %s instead of skipping the approval', async (_label, when) => {
    const h = harness({ channel: 'in-app', mode: 'interrupt', when: when as never });
    const { error } = await outcome(h.refund(args, sessionFor(undefined, 'alice')));
    expect(error).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/when\(\) must return/),
    });
    expect(h.executed).not.toHaveBeenCalled();
  });

  it('skips the approval only when when() returns false', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt', when: () => false });
    await expect(h.refund(args, sessionFor(undefined, 'alice'))).resolves.toBeDefined();
    expect(h.executed).toHaveBeenCalledTimes(1);
  });

  it('refuses an in-app binding message with line breaks, escapes or bidi overrides', async () => {
    const h = harness({
      channel: 'in-app',
      mode: 'interrupt',
      bindingMessage: () => 'Refund 10 EUR\u202E 00001\n[approved]\u001b[2J',
    });
    const { error } = await outcome(h.refund(args, sessionFor(undefined, 'alice')));
    expect(error).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/control or format/),
    });
    expect(await h.approvals.list({})).toEqual([]);
  });
});

describe('just in time, measured to the use', () => {
  it('re-checks the login of an approval given at once but used much later, and a revoked one does not run', async () => {
    let now = Date.parse('2026-12-02T09:00:00Z');
    const revalidate = vi.fn(async () => {
      throw new Error('the login was revoked');
    });
    const h = harness(
      { channel: 'in-app', mode: 'interrupt' },
      { now: () => now, revalidateAfterSeconds: 300 },
    );
    const alice = sessionFor(undefined, 'alice', { revalidate });
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await h.approvals.decide(id, { session: sessionFor(undefined, 'alice'), decision: 'approve' });
    now += 20 * 60 * 60 * 1000;
    const { error } = await outcome(h.refund(args, alice));
    expect(error).toBeDefined();
    expect(revalidate).toHaveBeenCalled();
    expect(h.executed).not.toHaveBeenCalled();
  });
});

describe('approvals.decide — only the user, in person', () => {
  it('refuses a background session (an agent running without the user)', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await expect(
      h.approvals.decide(id, {
        session: sessionFor(undefined, 'alice', { mode: 'background' }),
        decision: 'approve',
      }),
    ).rejects.toMatchObject({ code: 'NO_SESSION' });
    await expect(h.approvals.get(id)).resolves.toMatchObject({ status: 'pending' });
  });

  it('re-checks the deciding session, so a revoked login decides nothing', async () => {
    const h = harness({ channel: 'in-app', mode: 'interrupt' });
    const alice = sessionFor(undefined, 'alice');
    const pending = await outcome(h.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    const revoked = sessionFor(undefined, 'alice', {
      revalidate: async () => {
        throw new Error('revoked');
      },
    });
    await expect(h.approvals.decide(id, { session: revoked, decision: 'approve' })).rejects.toThrow();
    await expect(h.approvals.get(id)).resolves.toMatchObject({ status: 'pending' });
  });
});
