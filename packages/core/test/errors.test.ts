import { describe, expect, it } from 'vitest';
import {
  AgentGateError,
  AuditFailed,
  ConnectionTokenRejected,
  GateDenied,
  GateInterrupt,
  isGateDenied,
  isGateInterrupt,
  reviveGateError,
} from '../src/index';

const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('GateInterrupt', () => {
  it.each([
    'CONNECTION_REQUIRED',
    'APPROVAL_PENDING',
    'APPROVAL_DENIED',
    'APPROVAL_EXPIRED',
    'STEP_UP_REQUIRED',
  ] as const)('%s survives a JSON round trip and is still recognised', (code) => {
    // Every fact any interrupt code requires, so one table covers them all.
    const details = {
      connection: 'acme-calendar',
      requiredScopes: ['events.read'],
      authorizationParams: { max_age: '300' },
    };
    const interrupt = new GateInterrupt(code, 'the user must act', { guard: 'g', details });
    const json = roundTrip(interrupt);
    expect(json).toEqual({ kind: 'interrupt', code, message: 'the user must act', guard: 'g', details });
    expect(isGateInterrupt(json)).toBe(true);
    expect(isGateDenied(json)).toBe(false);
    const revived = reviveGateError(json);
    expect(revived).toBeInstanceOf(GateInterrupt);
    expect(revived).toMatchObject({ code, guard: 'g', details: interrupt.details });
  });

  it('is not confused with look-alikes', () => {
    expect(isGateInterrupt({ kind: 'interrupt', code: 'NOT_A_CODE', message: 'x' })).toBe(false);
    expect(isGateInterrupt({ kind: 'interrupt', code: 'APPROVAL_PENDING' })).toBe(false);
    expect(isGateInterrupt({ kind: 'denied', code: 'APPROVAL_PENDING', message: 'x' })).toBe(false);
    expect(isGateInterrupt(new GateDenied('FORBIDDEN', 'no'))).toBe(false);
    expect(isGateInterrupt(null)).toBe(false);
    expect(isGateInterrupt('APPROVAL_PENDING')).toBe(false);
    expect(reviveGateError(new Error('plain'))).toBeUndefined();
  });
});

describe('GateDenied', () => {
  it.each(['FORBIDDEN', 'INSUFFICIENT_SCOPE', 'INVALID_ARGUMENTS', 'NO_SESSION', 'GUARD_FAILED'] as const)(
    '%s round-trips through JSON',
    (code) => {
      const details = { missing: ['a'], required: ['a', 'b'], issues: [{ path: 'x', message: 'bad' }] };
      const json = roundTrip(new GateDenied(code, 'no', { details }));
      expect(isGateDenied(json)).toBe(true);
      expect(isGateInterrupt(json)).toBe(false);
      expect(reviveGateError(json)).toMatchObject({ name: 'GateDenied', code, details });
    },
  );
});

describe('AgentGateError', () => {
  it('is recognised across two installed copies by its Symbol.for marker', () => {
    const foreign = Object.assign(new Error('from another copy'), {
      [Symbol.for('agentgate.error')]: true,
      code: 'APPROVAL_DENIED',
      details: {},
    });
    expect(AgentGateError.isInstance(foreign)).toBe(true);
    expect(isGateInterrupt(foreign)).toBe(true);
    expect(AgentGateError.isInstance(new Error('plain'))).toBe(false);
  });

  it('masks tokens that reach a message', () => {
    const error = new GateDenied(
      'FORBIDDEN',
      'exchange failed for refresh_token=rt-123 and Bearer abc.def.ghi',
    );
    expect(error.message).toBe('exchange failed for refresh_token=[redacted] and Bearer [redacted]');
  });

  it('has a stable code on each subclass', () => {
    expect(new AuditFailed('x').code).toBe('AUDIT_FAILED');
    const rejected = new ConnectionTokenRejected('acme-calendar');
    expect(rejected).toMatchObject({ code: 'CONNECTION_TOKEN_REJECTED', connection: 'acme-calendar' });
    expect(rejected).toBeInstanceOf(AgentGateError);
  });
});
