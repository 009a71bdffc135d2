import type { JWK } from 'jose';
import type { DevResourceServer } from '../types';

/** Absolute `http(s)` URI without a fragment: what RFC 8707 asks of a resource indicator. */
export function isResourceIndicator(value: unknown): value is string {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hash === '' && !value.includes('#');
}

/**
 * The company's own APIs the dev server issues tokens for: the demo API plus the resource servers added
 * with `resourceServers` / `addResourceServer` (MCP servers, first-party APIs). Tokens for each are RFC 9068
 * JWTs with the resource as `aud` and only its scopes.
 */
export class FirstPartyResources {
  readonly #servers = new Map<string, { scopes: readonly string[]; name?: string; clientId?: string }>();
  readonly apiAudience: string;
  /** The public signing key: on-behalf-of exchanges verify subject tokens with it, offline. */
  readonly publicKey: JWK;

  constructor(options: { apiAudience: string; apiScopes: readonly string[]; publicKey: JWK }) {
    this.apiAudience = options.apiAudience;
    this.publicKey = options.publicKey;
    this.#servers.set(options.apiAudience, { scopes: [...options.apiScopes] });
  }

  /**
   * Adds (or replaces) a resource server.
   * @throws TypeError when the resource is not an absolute http(s) URI without fragment, or a scope is malformed
   */
  add(server: DevResourceServer): void {
    if (typeof server !== 'object' || server === null) {
      throw new TypeError('addResourceServer: the resource server must be an object');
    }
    if (!isResourceIndicator(server.resource)) {
      throw new TypeError('addResourceServer: resource must be an absolute http(s) URI without a fragment');
    }
    if (
      !Array.isArray(server.scopes) ||
      server.scopes.length === 0 ||
      !server.scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
    ) {
      throw new TypeError('addResourceServer: scopes must be a non-empty array of scope tokens');
    }
    if (server.name !== undefined && typeof server.name !== 'string') {
      throw new TypeError('addResourceServer: name must be a string');
    }
    if (
      server.clientId !== undefined &&
      (typeof server.clientId !== 'string' || server.clientId.length === 0)
    ) {
      throw new TypeError('addResourceServer: clientId must be a non-empty string');
    }
    this.#servers.set(server.resource, {
      scopes: [...server.scopes],
      ...(server.name === undefined ? {} : { name: server.name }),
      ...(server.clientId === undefined ? {} : { clientId: server.clientId }),
    });
  }

  /** The scopes of a known resource, or undefined. */
  scopesOf(resource: string): readonly string[] | undefined {
    return this.#servers.get(resource)?.scopes;
  }

  has(resource: string): boolean {
    return this.#servers.has(resource);
  }

  /** A token issued for `resource` may be exchanged on the user's behalf by `clientId`. */
  mayDelegate(resource: string, clientId: string): boolean {
    const server = this.#servers.get(resource);
    return server !== undefined && (server.clientId === undefined || server.clientId === clientId);
  }
}

const byProvider = new WeakMap<object, FirstPartyResources>();

/** Makes the resources known to grant handlers that only see the provider (`ctx.oidc.provider`). */
export function attachFirstPartyResources(provider: object, resources: FirstPartyResources): void {
  byProvider.set(provider, resources);
}

/** The resources attached to `provider`, if any. */
export function firstPartyResourcesOf(provider: object): FirstPartyResources | undefined {
  return byProvider.get(provider);
}
