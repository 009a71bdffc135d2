import { createGate, MemoryStore, memoryAudit } from '@agentgate/core';
import { describe, expect, it } from 'vitest';
import { type ApprovalsOptions, createApprovals } from '../src/index';
import { refundDetails, refundMessage } from './helpers';

const ciba = {
  issuer: 'https://id.example/',
  clientId: 'agent',
  clientSecret: 'agent-secret',
  audience: 'https://api.example/',
};
const base = (extra: Record<string, unknown> = {}) =>
  ({ store: new MemoryStore(), audit: false, ...extra }) as ApprovalsOptions;

describe('createApprovals', () => {
  it.each([
    [{ audit: false } as unknown as ApprovalsOptions, 'options.store must be a Store'],
    [{ store: new MemoryStore() } as unknown as ApprovalsOptions, 'options.audit is required'],
    [base({ stores: 1 }), 'unknown options.stores (did you mean store?)'],
    [base({ ciba: { ...ciba, issuer: 'http://id.example/' } }), 'must be https'],
    [base({ ciba: { ...ciba, clientSecret: undefined } }), 'exactly one of options.ciba.clientSecret'],
    [base({ ciba: { ...ciba, loginHint: 'email' } }), "loginHint must be 'iss_sub', 'sub' or a function"],
    [base({ ciba: { ...ciba, algorithms: ['HS256'] } }), 'never HS* or none'],
    [base({ ciba: { ...ciba, scope: 'openid' } }), 'unknown options.ciba.scope'],
    [base({ retentionSeconds: 0 }), 'retentionSeconds must be a positive number'],
  ])('refuses misuse at creation (%#)', (options, message) => {
    expect(() => createApprovals(options)).toThrow(TypeError);
    expect(() => createApprovals(options)).toThrow(message);
  });

  it('gives a guard of kind approval, which satisfies the default high-risk policy', () => {
    const approvals = createApprovals(base());
    const guard = approvals.guard({
      channel: 'in-app',
      mode: 'interrupt',
      details: refundDetails,
      bindingMessage: refundMessage,
    });
    expect(guard).toMatchObject({ name: 'approval(in-app)', kind: 'approval' });
    const gate = createGate({ audit: memoryAudit() });
    expect(() => gate.assertPolicy({ name: 'refund_order', risk: 'high' }, [guard])).not.toThrow();
  });
});

describe('approvals.guard', () => {
  const approvals = createApprovals(base({ ciba }));
  const inApp = createApprovals(base());
  const valid = { details: refundDetails, bindingMessage: refundMessage };
  it.each([
    [approvals, { ...valid, channel: 'sms', mode: 'wait' }, "options.channel must be 'ciba' or 'in-app'"],
    [approvals, { ...valid, channel: 'ciba', mode: 'later' }, "options.mode must be 'wait' or 'interrupt'"],
    [approvals, { ...valid, channel: 'ciba', mode: 'wait', detail: refundDetails }, 'unknown options.detail'],
    [
      approvals,
      { channel: 'ciba', mode: 'wait', bindingMessage: refundMessage },
      'options.details must be a function',
    ],
    [
      approvals,
      { ...valid, channel: 'ciba', mode: 'interrupt', timeoutMs: 10 },
      "timeoutMs applies only to mode 'wait'",
    ],
    [
      approvals,
      { ...valid, channel: 'ciba', mode: 'wait', requestedExpiry: 0.5 },
      'requestedExpiry must be a whole number',
    ],
    [
      approvals,
      { ...valid, channel: 'in-app', mode: 'wait', scopes: ['openid'] },
      "scopes applies only to channel 'ciba'",
    ],
    [inApp, { ...valid, channel: 'ciba', mode: 'wait' }, "channel 'ciba' needs createApprovals({ ciba"],
  ])('refuses misuse at creation (%#)', (target, options, message) => {
    expect(() => target.guard(options as never)).toThrow(TypeError);
    expect(() => target.guard(options as never)).toThrow(message);
  });
});
