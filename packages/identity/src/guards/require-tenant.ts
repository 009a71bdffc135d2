import { defineGuard, GateDenied, type Guard, type GuardContext } from '@agentgate/core';

/** The tenant a call must belong to, or a function of the call that names it. */
export type TenantSource<Args = unknown> =
  | string
  | ((context: GuardContext<Args>) => string | undefined | Promise<string | undefined>);

/**
 * Allows the call only when the session's tenant is `tenant` (or what the function returns for this call, e.g. the
 * tenant that owns the record the arguments name). A session without a tenant is refused.
 *
 * @throws GateDenied `FORBIDDEN`
 * @example requireTenant(({ args }) => tenantOfInvoice(args.invoiceId))
 */
export function requireTenant<Args = unknown>(tenant: TenantSource<Args>): Guard<Args> {
  if (!(typeof tenant === 'string' && tenant.length > 0) && typeof tenant !== 'function') {
    throw new TypeError('requireTenant: tenant must be a non-empty string or a function');
  }
  const name = typeof tenant === 'string' ? `requireTenant(${tenant})` : 'requireTenant';
  return defineGuard<Args>({
    name,
    kind: 'identity',
    async check(context) {
      const expected = typeof tenant === 'string' ? tenant : await tenant(context);
      if (typeof expected !== 'string' || expected.length === 0) {
        throw new GateDenied(
          'FORBIDDEN',
          `no tenant could be determined for the call of '${context.tool.name}'`,
          {
            guard: name,
          },
        );
      }
      if (context.session.tenant !== expected) {
        throw new GateDenied(
          'FORBIDDEN',
          `'${context.tool.name}' belongs to tenant '${expected}', the session to '${context.session.tenant ?? 'none'}'`,
          { guard: name, details: { expected, actual: context.session.tenant ?? null } },
        );
      }
    },
  });
}
