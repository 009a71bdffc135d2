import type { JWTPayload } from 'jose';

/** Verified claims of an access token, as a mapping reads them. */
export type TokenClaims = Readonly<JWTPayload>;

/** Reads one session field from the claims: the name of a top-level claim, or a function. */
export type ClaimReader<Value> = string | ((claims: TokenClaims) => Value | undefined);

/**
 * Where the session's tenant, roles and scopes come from in an access token. Each field is the name of a top-level
 * claim (read as is: `'https://example.com/roles'` is one claim, not a path) or a function of the verified claims.
 * A string claim for roles or scopes is split on spaces. A claim of the wrong type rejects the token (`claims`).
 */
export interface ClaimMapping {
  tenant?: ClaimReader<string>;
  roles?: ClaimReader<readonly string[] | string>;
  scopes?: ClaimReader<readonly string[] | string>;
}

/**
 * Ready-made claim mappings for common identity providers.
 *
 * @example verifyAccessToken(token, { issuer, audience, claims: claimMappings.auth0('https://acme.example/') });
 */
export const claimMappings = Object.freeze({
  /** `scope` (space-separated; `scp` array as fallback), `roles`, `tenant`: the AgentGate dev server and RFC 9068. */
  standard: Object.freeze({
    tenant: 'tenant',
    roles: 'roles',
    scopes: (claims: TokenClaims) =>
      claims.scope === undefined ? stringsOf(claims.scp, 'scp') : stringsOf(claims.scope),
  }) satisfies ClaimMapping,

  /**
   * Auth0: roles and tenant in namespaced custom claims (`<namespace>roles`, `<namespace>tenant`), `org_id` for the
   * organisation (preferred as tenant), and RBAC `permissions` counted as scopes too.
   *
   * @param namespace e.g. `https://acme.example/` (a `/` is added when missing)
   */
  auth0(namespace: string): ClaimMapping {
    if (typeof namespace !== 'string' || namespace.length === 0) {
      throw new TypeError(
        'claimMappings.auth0: namespace must be a non-empty string such as https://acme.example/',
      );
    }
    const prefix = namespace.endsWith('/') ? namespace : `${namespace}/`;
    return Object.freeze({
      tenant: (claims: TokenClaims) => {
        const tenant = claims.org_id ?? claims[`${prefix}tenant`];
        return tenant === undefined ? undefined : stringOf(tenant, 'org_id');
      },
      roles: `${prefix}roles`,
      scopes: (claims: TokenClaims) =>
        unique([...stringsOf(claims.scope, 'scope'), ...stringsOf(claims.permissions, 'permissions')]),
    });
  },

  /**
   * Keycloak: realm roles from `realm_access.roles`, client roles from `resource_access` as `<client>:<role>`, scopes
   * from `scope`, tenant from `organization` when the token names exactly one.
   */
  keycloak: Object.freeze({
    tenant: (claims: TokenClaims) => {
      const organization = claims.organization;
      if (organization === undefined) return undefined;
      const names =
        typeof organization === 'string'
          ? [organization]
          : Array.isArray(organization)
            ? organization
            : isRecord(organization)
              ? Object.keys(organization)
              : undefined;
      if (names === undefined || names.some((name) => typeof name !== 'string')) {
        throw new ClaimTypeError('organization');
      }
      return names.length === 1 ? (names[0] as string) : undefined;
    },
    roles: (claims: TokenClaims) => {
      const roles: string[] = [];
      if (claims.realm_access !== undefined) {
        if (!isRecord(claims.realm_access)) throw new ClaimTypeError('realm_access');
        roles.push(...stringsOf(claims.realm_access.roles, 'realm_access.roles'));
      }
      if (claims.resource_access !== undefined) {
        if (!isRecord(claims.resource_access)) throw new ClaimTypeError('resource_access');
        for (const [client, access] of Object.entries(claims.resource_access)) {
          if (!isRecord(access)) throw new ClaimTypeError(`resource_access.${client}`);
          for (const role of stringsOf(access.roles, `resource_access.${client}.roles`))
            roles.push(`${client}:${role}`);
        }
      }
      return unique(roles);
    },
    scopes: 'scope',
  }) satisfies ClaimMapping,
});

/** @internal A mapped claim had the wrong type. */
export class ClaimTypeError extends Error {
  constructor(readonly claim: string) {
    super(`claim '${claim}' has the wrong type`);
  }
}

/** @internal Applies a mapping (over the standard one) to verified claims. */
export function applyClaimMapping(
  mapping: ClaimMapping | undefined,
  claims: TokenClaims,
): { tenant: string | undefined; roles: string[]; scopes: string[] } {
  const overrides = Object.fromEntries(
    Object.entries(mapping ?? {}).filter(([, reader]) => reader !== undefined),
  );
  const effective = { ...claimMappings.standard, ...overrides } as Required<ClaimMapping>;
  const tenant = read(effective.tenant, claims, 'tenant');
  return {
    tenant: tenant === undefined ? undefined : stringOf(tenant, 'tenant'),
    roles: unique(stringsOf(read(effective.roles, claims, 'roles'), 'roles')),
    scopes: unique(stringsOf(read(effective.scopes, claims, 'scopes'), 'scopes')),
  };
}

function read(reader: ClaimReader<unknown>, claims: TokenClaims, field: string): unknown {
  if (typeof reader === 'string') return claims[reader];
  if (typeof reader === 'function') return reader(claims);
  throw new TypeError(`claims.${field} must be a claim name or a function`);
}

function stringOf(value: unknown, claim: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ClaimTypeError(claim);
  return value;
}

function stringsOf(value: unknown, claim = 'scope'): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(' ').filter((item) => item.length > 0);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [...value];
  throw new ClaimTypeError(claim);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
