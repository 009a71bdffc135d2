import { canonicalJson } from '@agentgate/core';
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import type * as client from 'openid-client';
import type { AuthorizationDetail } from '../types';
import type { ResolvedCiba } from './options';

/** Tokens longer than this are refused before parsing. */
const MAX_TOKEN_LENGTH = 16_384;

export interface TokenCheckInput {
  accessToken: string;
  /** `authorization_details` of the token response, as the provider sent it. */
  responseDetails: unknown;
  audience: string;
  expectedSub: string;
  details: readonly AuthorizationDetail[];
  signal: AbortSignal;
}

/** `ok`; `untrusted` (the token is not this approval: refuse it); `unavailable` (keys could not be fetched). */
export type TokenVerdict =
  | { type: 'ok' }
  | { type: 'untrusted'; reason: string }
  | { type: 'unavailable'; error: unknown };

export interface TokenChecker {
  check(input: TokenCheckInput): Promise<TokenVerdict>;
}

/**
 * Checks the access token a CIBA approval returned, with `jose`: signature against the issuer's JWKS, an asymmetric
 * algorithm from the allow-list, `iss`, `aud`, `exp`/`nbf` (30 s leeway), `sub` equal to the user the request named,
 * and `authorization_details` — in the response and, when present, in the token — equal to what was requested.
 */
export function createTokenChecker(
  metadata: client.ServerMetadata,
  options: ResolvedCiba,
  now: () => number,
): TokenChecker {
  const jwksUri = metadata.jwks_uri;
  const keys =
    typeof jwksUri === 'string'
      ? createRemoteJWKSet(new URL(jwksUri), {
          timeoutDuration: options.timeoutMs,
          [customFetch]: (url, init) => options.fetch(url, init as never),
        })
      : undefined;
  const expected = (details: readonly AuthorizationDetail[]) => canonicalJson(details);
  const same = (value: unknown, details: readonly AuthorizationDetail[]): boolean => {
    try {
      return canonicalJson(value) === expected(details);
    } catch {
      return false;
    }
  };

  return {
    async check(input) {
      if (!keys)
        return {
          type: 'untrusted',
          reason: 'the provider publishes no jwks_uri: the token cannot be verified',
        };
      if (input.accessToken.length > MAX_TOKEN_LENGTH)
        return { type: 'untrusted', reason: 'the token is too long' };
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(input.accessToken, keys, {
          issuer: metadata.issuer,
          audience: input.audience,
          algorithms: options.algorithms,
          clockTolerance: 30,
          currentDate: new Date(now()),
          requiredClaims: ['iss', 'sub', 'aud', 'exp'],
        }));
      } catch (error) {
        if (
          error instanceof errors.JWKSTimeout ||
          (error instanceof TypeError && !(error instanceof errors.JOSEError))
        ) {
          return { type: 'unavailable', error };
        }
        const code = error instanceof errors.JOSEError ? error.code : 'ERR_UNKNOWN';
        return { type: 'untrusted', reason: `the approval token did not verify (${code})` };
      }
      if (payload.sub !== input.expectedSub) {
        return { type: 'untrusted', reason: 'the approval token was issued for another user' };
      }
      if (input.responseDetails === undefined && payload.authorization_details === undefined) {
        return { type: 'untrusted', reason: 'the approval carries no authorization_details' };
      }
      for (const granted of [input.responseDetails, payload.authorization_details]) {
        if (granted !== undefined && !same(granted, input.details)) {
          return {
            type: 'untrusted',
            reason: 'the approved authorization_details differ from the requested ones',
          };
        }
      }
      return { type: 'ok' };
    },
  };
}
