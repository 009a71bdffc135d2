import { describeThrown, raceAbort } from '@agentgate/core';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { TokenVerificationFailed } from '../errors';

type Fetch = typeof globalThis.fetch;

// One remote JWKS per (fetch, JWKS URI): jose caches the keys and refetches on an unknown `kid` (with a cooldown).
const keySets = new WeakMap<Fetch, Map<string, JWTVerifyGetKey>>();
// One discovery per (fetch, issuer); a failed discovery is forgotten so the next call tries again.
const discoveries = new WeakMap<Fetch, Map<string, Promise<string>>>();

/** The cached remote key set for a JWKS URI. */
export function keySetFor(jwksUri: string, fetchImplementation: Fetch = globalThis.fetch): JWTVerifyGetKey {
  let byUri = keySets.get(fetchImplementation);
  if (byUri === undefined) {
    byUri = new Map();
    keySets.set(fetchImplementation, byUri);
  }
  let keySet = byUri.get(jwksUri);
  if (keySet === undefined) {
    keySet = createRemoteJWKSet(new URL(jwksUri), {
      ...(fetchImplementation === globalThis.fetch ? {} : { [customFetch]: fetchImplementation }),
    });
    byUri.set(jwksUri, keySet);
  }
  return keySet;
}

/** Discovers (once, cached) the `jwks_uri` of `issuer` from its OpenID Provider metadata. */
export function discoverJwksUri(
  issuer: string,
  fetchImplementation: Fetch = globalThis.fetch,
  signal?: AbortSignal,
): Promise<string> {
  let byIssuer = discoveries.get(fetchImplementation);
  if (byIssuer === undefined) {
    byIssuer = new Map();
    discoveries.set(fetchImplementation, byIssuer);
  }
  let discovery = byIssuer.get(issuer);
  if (discovery === undefined) {
    discovery = fetchJwksUri(issuer, fetchImplementation);
    byIssuer.set(issuer, discovery);
    discovery.catch(() => byIssuer.delete(issuer));
  }
  return raceAbort(discovery, signal);
}

async function fetchJwksUri(issuer: string, fetchImplementation: Fetch): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let metadata: unknown;
  try {
    const response = await fetchImplementation(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    metadata = await response.json();
  } catch (error) {
    throw new TokenVerificationFailed(
      'discovery',
      `could not read the OpenID configuration of '${issuer}': ${messageOf(error)}`,
      { cause: error },
    );
  }
  const { issuer: advertised, jwks_uri: jwksUri } = (metadata ?? {}) as {
    issuer?: unknown;
    jwks_uri?: unknown;
  };
  if (advertised !== issuer) {
    throw new TokenVerificationFailed(
      'discovery',
      `the OpenID configuration at '${url}' names issuer '${String(advertised)}', expected '${issuer}'`,
    );
  }
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
    throw new TokenVerificationFailed(
      'discovery',
      `the OpenID configuration of '${issuer}' has no valid jwks_uri`,
    );
  }
  return jwksUri;
}

function messageOf(error: unknown): string {
  return describeThrown(error);
}
