import { type AgentSession, createSession, GateDenied, raceAbort } from '@agentgate/core';
import { type JWTPayload, jwtVerify } from 'jose';
import { applyClaimMapping, type ClaimMapping, ClaimTypeError } from './claim-mappings';
import { TokenVerificationFailed } from './errors';
import { fromJoseError } from './internal/jose-errors';
import { discoverJwksUri, keySetFor } from './internal/key-sets';
import {
  CALL_OPTIONS,
  type Settings,
  VERIFIER_OPTIONS,
  validateCallOptions,
  validateVerifierOptions,
} from './internal/verifier-settings';

/** How to verify access tokens: the trusted issuer, this API's audience, and the rules around them. */
export interface AccessTokenVerifierOptions {
  /** The issuer identifier, matched exactly against `iss` (mind a trailing slash). */
  issuer: string;
  /** This API's identifier(s); the token's `aud` must contain one. */
  audience: string | readonly string[];
  /** The issuer's JWKS URI; discovered from `${issuer}/.well-known/openid-configuration` (and cached) when absent. */
  jwksUri?: string;
  /** Allowed signing algorithms. @default ['ES256', 'RS256', 'PS256', 'EdDSA'] */
  algorithms?: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /** Longest token accepted, in characters; longer ones are refused before parsing. @default 8192 */
  maxTokenLength?: number;
  /** Where tenant, roles and scopes come from. @default claimMappings.standard */
  claims?: ClaimMapping;
  /** Claims required on top of `iss`, `sub`, `aud`, `exp`, `iat` (e.g. `['client_id', 'jti']`). */
  requiredClaims?: readonly string[];
  /** Overrides the fetch used for discovery and the JWKS (e.g. a proxy-aware fetch). */
  fetch?: typeof globalThis.fetch;
}

/** Per-call options of a verifier. */
export interface VerifyCallOptions {
  signal?: AbortSignal;
  /** @default a random UUID */
  sessionId?: string;
  /** @default 'interactive' */
  mode?: 'interactive' | 'background';
  /** Overrides the session's `subjectToken()`, which by default returns the verified access token. */
  subjectToken?: AgentSession['subjectToken'];
  /** The session's just-in-time re-check (e.g. introspection). */
  revalidate?: AgentSession['revalidate'];
}

/** Options of {@link verifyAccessToken}. */
export interface VerifyAccessTokenOptions extends AccessTokenVerifierOptions, VerifyCallOptions {}

/** A verified access token: the session built from it and the claims it carried. */
export interface VerifiedAccessToken {
  session: AgentSession;
  claims: Readonly<JWTPayload>;
}

/** A reusable verifier made by {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifier {
  /** Verifies `token` and returns the session it proves. @throws TokenVerificationFailed */
  (token: string, options?: VerifyCallOptions): Promise<AgentSession>;
  /** Like calling the verifier, and also returns the verified claims. */
  verify(token: string, options?: VerifyCallOptions): Promise<VerifiedAccessToken>;
}

/**
 * Builds a verifier for RFC 9068 JWT access tokens, with its options checked now. Keys come from a cached remote JWKS.
 *
 * @throws TypeError when an option is malformed (e.g. an `HS256` or `none` algorithm) or unknown, naming it
 * @example
 * const verify = createAccessTokenVerifier({ issuer: 'https://id.acme.example/', audience: 'https://api.acme.example/' });
 * const session = await verify(bearerToken);
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  return verifierFor(validateVerifierOptions(options, 'createAccessTokenVerifier'));
}

/** @internal A verifier for checked settings (`createLogin` builds its own under its name). */
export function verifierFor(settings: Settings): AccessTokenVerifier {
  const verify = async (token: string, call: VerifyCallOptions = {}): Promise<VerifiedAccessToken> => {
    validateCallOptions('verify', call, CALL_OPTIONS);
    call.signal?.throwIfAborted();
    checkShape(token, settings.maxTokenLength);
    const claims = await verifyClaims(token, settings, call.signal);
    const session = buildSession(token, claims, settings.claims, call);
    return { session, claims: Object.freeze({ ...claims }) };
  };
  const verifier = (async (token: string, call?: VerifyCallOptions) =>
    (await verify(token, call)).session) as AccessTokenVerifier;
  verifier.verify = verify;
  return Object.freeze(verifier);
}

/**
 * Verifies an RFC 9068 JWT access token and returns the session it proves: signature from the issuer's JWKS, `typ`
 * `at+jwt`, allowed algorithm, exact issuer, audience, `exp`/`nbf`/`iat` with a small leeway, required claims, and
 * tenant, roles and scopes through the claim mapping. Fails closed.
 *
 * @throws TokenVerificationFailed (`GateDenied` `NO_SESSION`) with `reason` `expired`, `not_yet_valid`, `issuer`,
 * `audience`, `algorithm`, `signature`, `unknown_key`, `typ`, `claims`, `malformed`, `too_large`, `jwks`, `discovery`
 * @throws TypeError when an option is malformed or unknown (a likely typo), naming it
 * @example const session = await verifyAccessToken(token, { issuer, audience: 'https://api.acme.example/' });
 */
export function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AgentSession> {
  const { signal, sessionId, mode, subjectToken, revalidate, ...verifierOptions } = options ?? {};
  const where = 'verifyAccessToken';
  const settings = validateVerifierOptions(verifierOptions as AccessTokenVerifierOptions, where, [
    ...VERIFIER_OPTIONS,
    ...CALL_OPTIONS,
  ]);
  validateCallOptions(where, { signal, sessionId, mode, subjectToken, revalidate }, CALL_OPTIONS);
  return verifierFor(settings)(token, {
    ...(signal === undefined ? {} : { signal }),
    ...(sessionId === undefined ? {} : { sessionId }),
    ...(mode === undefined ? {} : { mode }),
    ...(subjectToken === undefined ? {} : { subjectToken }),
    ...(revalidate === undefined ? {} : { revalidate }),
  });
}

function checkShape(token: unknown, maxTokenLength: number): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TokenVerificationFailed('malformed', 'no token was given, or it is not a string');
  }
  if (token.length > maxTokenLength) {
    throw new TokenVerificationFailed(
      'too_large',
      `the token is ${token.length} characters long; at most ${maxTokenLength} are accepted`,
    );
  }
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) {
    const parts = token.split('.').length;
    throw new TokenVerificationFailed(
      'malformed',
      parts === 1
        ? 'the token is not a JWT access token (RFC 9068) but an opaque one. If the provider issued it: request ' +
            'an audience/resource (RFC 8707 `resource`, or `audience` at Auth0) so it issues a JWT, or check the ' +
            'token by introspection (createLogin().introspect)'
        : parts === 5
          ? 'the token is encrypted (JWE, five parts), not a signed RFC 9068 access token: providers such as ' +
            'Auth0 issue these when no audience is requested. Request the API as audience/resource, or turn off ' +
            'access-token encryption for it'
          : `the token is not a compact JWS (three base64url parts separated by dots; it has ${parts} parts)`,
    );
  }
}

async function verifyClaims(
  token: string,
  settings: Settings,
  signal: AbortSignal | undefined,
): Promise<JWTPayload> {
  const jwksUri = settings.jwksUri ?? (await discoverJwksUri(settings.issuer, settings.fetch, signal));
  const keySet = keySetFor(jwksUri, settings.fetch);
  let payload: JWTPayload;
  try {
    ({ payload } = await raceAbort(
      jwtVerify(token, keySet, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: settings.algorithms,
        typ: 'at+jwt',
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: settings.requiredClaims,
      }),
      signal,
    ));
  } catch (error) {
    if (signal?.aborted && error === signal.reason) throw error;
    throw fromJoseError(error, token, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: settings.algorithms,
      jwksUri,
    });
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) {
    throw new TokenVerificationFailed('claims', 'the "iat" claim must be a number');
  }
  if (payload.iat > now + settings.clockToleranceSeconds) {
    throw new TokenVerificationFailed('not_yet_valid', 'the token was issued in the future ("iat")');
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw new TokenVerificationFailed('claims', 'the "sub" claim must be a non-empty string');
  }
  return payload;
}

function buildSession(
  token: string,
  claims: JWTPayload,
  mapping: ClaimMapping | undefined,
  call: VerifyCallOptions,
): AgentSession {
  let mapped: ReturnType<typeof applyClaimMapping>;
  try {
    mapped = applyClaimMapping(mapping, claims);
  } catch (error) {
    if (!(error instanceof ClaimTypeError)) {
      throw new TokenVerificationFailed('claims', 'the claim mapping could not read the token', {
        cause: error,
      });
    }
    throw new TokenVerificationFailed('claims', `the "${error.claim}" claim has the wrong type`, {
      details: { claim: error.claim },
    });
  }
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : stringClaim(claims, 'azp');
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : undefined;
  const acr = stringClaim(claims, 'acr');
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((item) => typeof item === 'string') : undefined;
  const email = stringClaim(claims, 'email');
  const name = stringClaim(claims, 'name');
  return createSession({
    sub: claims.sub as string,
    iss: claims.iss as string,
    ...(call.sessionId === undefined ? {} : { id: call.sessionId }),
    ...(email === undefined ? {} : { email }),
    ...(name === undefined ? {} : { name }),
    ...(mapped.tenant === undefined ? {} : { tenant: mapped.tenant }),
    roles: mapped.roles,
    scopes: mapped.scopes,
    ...(authTime === undefined ? {} : { authTime }),
    ...(acr === undefined ? {} : { acr }),
    ...(amr === undefined ? {} : { amr }),
    mode: call.mode ?? 'interactive',
    ...(clientId === undefined ? {} : { agent: { id: clientId, clientId } }),
    subjectToken: call.subjectToken ?? subjectTokenOf(token, claims.sub as string),
    ...(call.revalidate === undefined ? {} : { revalidate: call.revalidate }),
  });
}

function subjectTokenOf(token: string, sub: string): AgentSession['subjectToken'] {
  return async (options) => {
    if (options?.type === 'refresh_token') {
      throw new GateDenied('NO_SESSION', `the session of '${sub}' holds no refresh token`);
    }
    return token;
  };
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
