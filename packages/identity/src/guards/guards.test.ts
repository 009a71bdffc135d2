import {
  createGate,
  createSession,
  GateDenied,
  GateInterrupt,
  isGateInterrupt,
  memoryAudit,
} from '@agentgate/core';
import { describe, expect, it, vi } from 'vitest';
import { requireActiveSession } from './require-active-session';
import { requireFreshAuth, stepUpOptions } from './require-fresh-auth';
import { requireRoles } from './require-roles';
import { requireScopes } from './require-scopes';
import { requireTenant } from './require-tenant';

const tool = { name: 'refund_order' };
const alice = createSession({
  sub: 'alice',
  tenant: 'acme',
  roles: ['support', 'member'],
  scopes: ['orders:read', 'orders:refund'],
  authTime: 1_000_000,
  acr: 'urn:agentgate:loa:1',
});

interface Outcome {
  value?: unknown;
  error?: unknown;
  ran: boolean;
}

async function run(
  session: typeof alice,
  ...guards: Parameters<ReturnType<typeof createGate>['run']>[2]
): Promise<Outcome> {
  const gate = createGate({ audit: false });
  const execute = vi.fn(async () => 'done');
  const outcome = await gate
    .run({ tool, args: { orderId: '7', tenant: 'globex' } }, session, guards, execute)
    .then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  return { ...outcome, ran: execute.mock.calls.length > 0 };
}

describe('requireScopes', () => {
  it('allows when every scope is granted', async () => {
    await expect(run(alice, requireScopes('orders:read', 'orders:refund'))).resolves.toEqual({
      value: 'done',
      ran: true,
    });
  });

  it('denies with the missing scopes and does not run the tool', async () => {
    const { error, ran } = await run(alice, requireScopes('orders:read', 'orders:delete', 'admin'));
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(GateDenied);
    expect(error).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      guard: 'requireScopes(orders:read orders:delete admin)',
      details: { missing: ['orders:delete', 'admin'] },
    });
    expect((error as Error).message).toContain('orders:delete, admin');
  });

  it('is an identity guard, and refuses no scopes or blank ones at creation', () => {
    expect(requireScopes('a').kind).toBe('identity');
    expect(() => requireScopes()).toThrow(TypeError);
    expect(() => requireScopes('')).toThrow(TypeError);
    expect(() => requireScopes('a b')).toThrow(TypeError);
  });

  it('reads the session, never the arguments', async () => {
    const gate = createGate({ audit: false });
    const execute = vi.fn();
    await expect(
      gate.run({ tool, args: { scopes: ['admin'] } }, alice, [requireScopes('admin')], execute),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(execute).not.toHaveBeenCalled();
  });
});

describe('requireRoles', () => {
  it.each([
    [['support'], {}, true],
    [['support', 'member'], {}, true],
    [['support', 'admin'], {}, false],
    [['admin', 'support'], { match: 'any' as const }, true],
    [['admin', 'owner'], { match: 'any' as const }, false],
  ])('roles %j with %j → allowed %s', async (roles, options: { match?: 'any' }, allowed) => {
    const { error, ran } = await run(alice, requireRoles(...roles, options));
    expect(ran).toBe(allowed);
    if (!allowed)
      expect(error).toMatchObject({ code: 'FORBIDDEN', details: { match: options.match ?? 'all' } });
  });

  it('names the missing roles', async () => {
    const { error } = await run(alice, requireRoles('admin'));
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { missing: ['admin'] } });
  });

  it('refuses misuse at creation', () => {
    expect(() => requireRoles()).toThrow(TypeError);
    expect(() => requireRoles('a', { match: 'some' as 'any' })).toThrow(TypeError);
  });
});

describe('requireTenant', () => {
  it('allows the session tenant and denies another', async () => {
    expect((await run(alice, requireTenant('acme'))).ran).toBe(true);
    const { error, ran } = await run(alice, requireTenant('globex'));
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { expected: 'globex', actual: 'acme' } });
  });

  it('takes the tenant from a function of the call', async () => {
    const guard = requireTenant<{ orderId: string; tenant: string }>(async ({ args }) => args.tenant);
    const { error } = await run(alice, guard as never);
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { expected: 'globex' } });
  });

  it('denies a session without a tenant, and a call whose tenant cannot be determined', async () => {
    const noTenant = createSession({ sub: 'bob' });
    expect((await run(noTenant, requireTenant('acme'))).error).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      (
        await run(
          alice,
          requireTenant(() => undefined),
        )
      ).error,
    ).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses misuse at creation', () => {
    expect(() => requireTenant('')).toThrow(TypeError);
  });
});

describe('requireFreshAuth', () => {
  const at = (seconds: number) => () => seconds * 1000;

  it('allows a login younger than maxAgeSeconds', async () => {
    expect((await run(alice, requireFreshAuth({ maxAgeSeconds: 300, now: at(1_000_200) }))).ran).toBe(true);
  });

  it('interrupts with the step-up parameters when the login is too old', async () => {
    const { error, ran } = await run(alice, requireFreshAuth({ maxAgeSeconds: 300, now: at(1_000_301) }));
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(GateInterrupt);
    expect(error).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      details: { reason: 'stale', maxAgeSeconds: 300, authorizationParams: { max_age: '300' } },
    });
    expect(isGateInterrupt((error as GateInterrupt).toJSON())).toBe(true);
  });

  it('interrupts with acr_values when the level is too low', async () => {
    const guard = requireFreshAuth({ maxAgeSeconds: 300, acr: 'urn:agentgate:loa:2', now: at(1_000_010) });
    const { error } = await run(alice, guard);
    expect(error).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      details: { reason: 'acr', authorizationParams: { max_age: '300', acr_values: 'urn:agentgate:loa:2' } },
    });
  });

  it('interrupts when the session does not say when the user logged in', async () => {
    const { error } = await run(createSession({ sub: 'bob' }), requireFreshAuth({ maxAgeSeconds: 60 }));
    expect(error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { reason: 'auth_time_missing' } });
  });

  it('turns the interrupt, or its JSON form, into createAuthorization options', async () => {
    const guard = requireFreshAuth({ maxAgeSeconds: 60, acr: ['urn:a', 'urn:b'], now: at(1_000_100) });
    const { error } = await run(alice, guard);
    expect(stepUpOptions(error)).toEqual({ maxAge: 60, acrValues: 'urn:a urn:b' });
    expect(stepUpOptions((error as GateInterrupt).toJSON())).toEqual({
      maxAge: 60,
      acrValues: 'urn:a urn:b',
    });
    expect(stepUpOptions(new GateDenied('FORBIDDEN', 'no'))).toBeUndefined();
    expect(stepUpOptions(new GateInterrupt('STEP_UP_REQUIRED', 'no params', {} as never))).toBeUndefined();
    expect(stepUpOptions('STEP_UP_REQUIRED')).toBeUndefined();
  });

  it('refuses misuse at creation', () => {
    expect(() => requireFreshAuth({ maxAgeSeconds: -1 })).toThrow(TypeError);
    expect(() => requireFreshAuth({ maxAgeSeconds: 60, acr: [] })).toThrow(TypeError);
  });
});

describe('requireActiveSession', () => {
  it('runs the tool after a successful revalidation', async () => {
    const revalidate = vi.fn(async () => {});
    const session = createSession({ sub: 'alice', mode: 'background', revalidate });
    expect((await run(session, requireActiveSession())).ran).toBe(true);
    expect(revalidate).toHaveBeenCalledOnce();
  });

  it('keeps the typed error of a failed revalidation and does not run the tool', async () => {
    const session = createSession({
      sub: 'alice',
      mode: 'background',
      revalidate: async () => {
        throw new GateDenied('NO_SESSION', 'grant revoked');
      },
    });
    const { error, ran } = await run(session, requireActiveSession());
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: 'NO_SESSION', guard: 'requireActiveSession' });
  });

  it('turns any other revalidation failure into NO_SESSION', async () => {
    const session = createSession({
      sub: 'alice',
      revalidate: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    const { error, ran } = await run(session, requireActiveSession());
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: 'NO_SESSION' });
  });

  it('turns a revalidation failure that cannot be stringified into NO_SESSION too', async () => {
    const session = createSession({
      sub: 'alice',
      revalidate: async () => {
        throw Object.create(null);
      },
    });
    const { error, ran } = await run(session, requireActiveSession());
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: 'NO_SESSION', message: expect.stringContaining('[object Object]') });
  });

  it('refuses a background session that cannot be re-checked, allows an interactive one', async () => {
    expect(
      (await run(createSession({ sub: 'a', mode: 'background' }), requireActiveSession())).error,
    ).toMatchObject({
      code: 'NO_SESSION',
      message: expect.stringContaining('it has no revalidate() (create it with createBackgroundSession'),
    });
    expect((await run(createSession({ sub: 'a' }), requireActiveSession())).ran).toBe(true);
  });
});

describe('audit of identity guards', () => {
  it('records the denial with the guard name and reason', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    await expect(
      gate.run({ tool, args: {} }, alice, [requireScopes('admin')], async () => 1),
    ).rejects.toThrow();
    const denial = audit.events.find((event) => event.outcome === 'deny');
    expect(denial).toMatchObject({ guard: 'requireScopes(admin)', code: 'INSUFFICIENT_SCOPE', sub: 'alice' });
  });
});
