import { assertKnownOptions } from '@agentgate/core';
import type { ClaimMapping } from '../claim-mappings';
import type { AccessTokenVerifierOptions, VerifyCallOptions } from '../verify-access-token';

/** Asymmetric JWS algorithms AgentGate can verify. `none` and HMAC (`HS*`) are never accepted. */
const SUPPORTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
] as const;

/** Claims every access token must carry. */
const BASE_REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat'] as const;

/** The checked options of an access-token verifier. */
export interface Settings {
  issuer: string;
  audience: string | string[];
  jwksUri: string | undefined;
  algorithms: string[];
  clockToleranceSeconds: number;
  maxTokenLength: number;
  claims: ClaimMapping | undefined;
  requiredClaims: string[];
  fetch: typeof globalThis.fetch | undefined;
}

/** Every option of a verifier; any other key is refused (a typo would otherwise be dropped silently). */
export const VERIFIER_OPTIONS = [
  'issuer',
  'audience',
  'jwksUri',
  'algorithms',
  'clockToleranceSeconds',
  'maxTokenLength',
  'claims',
  'requiredClaims',
  'fetch',
] as const satisfies readonly (keyof AccessTokenVerifierOptions)[];

/** Every per-call option of a verifier. */
export const CALL_OPTIONS = [
  'signal',
  'sessionId',
  'mode',
  'subjectToken',
  'revalidate',
] as const satisfies readonly (keyof VerifyCallOptions)[];

/** Checks the per-call options of a verifier. @throws TypeError */
export function validateCallOptions(where: string, call: VerifyCallOptions, known: readonly string[]): void {
  if (typeof call !== 'object' || call === null) throw new TypeError(`${where}: options must be an object`);
  assertKnownOptions(where, call, known);
  if (call.signal !== undefined && !(call.signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: options.signal must be an AbortSignal`);
  }
  if (call.sessionId !== undefined && (typeof call.sessionId !== 'string' || call.sessionId.length === 0)) {
    throw new TypeError(`${where}: options.sessionId must be a non-empty string`);
  }
  if (call.mode !== undefined && call.mode !== 'interactive' && call.mode !== 'background') {
    throw new TypeError(`${where}: options.mode must be 'interactive' or 'background'`);
  }
  for (const name of ['subjectToken', 'revalidate'] as const) {
    if (call[name] !== undefined && typeof call[name] !== 'function') {
      throw new TypeError(`${where}: options.${name} must be a function`);
    }
  }
}

/**
 * Checks the options of a verifier eagerly. @throws TypeError naming `where` (the factory the caller called)
 * @param known the option names `where` accepts; others are refused
 */
export function validateVerifierOptions(
  options: AccessTokenVerifierOptions,
  where: string,
  known: readonly string[] = VERIFIER_OPTIONS,
): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options are required ({ issuer, audience, … })`);
  }
  assertKnownOptions(where, options, known);
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) {
    throw new TypeError(`${where}: options.issuer must be the issuer URL as a string`);
  }
  const audience = options.audience;
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? [...audience] : [];
  if (audiences.length === 0 || audiences.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new TypeError(`${where}: options.audience must be a non-empty string or array of strings`);
  }
  if (
    options.jwksUri !== undefined &&
    (typeof options.jwksUri !== 'string' || !URL.canParse(options.jwksUri))
  ) {
    throw new TypeError(`${where}: options.jwksUri must be a URL`);
  }
  if (options.algorithms !== undefined && !Array.isArray(options.algorithms)) {
    throw new TypeError(`${where}: options.algorithms must be an array, e.g. ['ES256']`);
  }
  const algorithms = [...(options.algorithms ?? ['ES256', 'RS256', 'PS256', 'EdDSA'])];
  if (algorithms.length === 0) throw new TypeError(`${where}: options.algorithms must not be empty`);
  for (const algorithm of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new TypeError(
        `${where}: algorithm '${String(algorithm)}' is not allowed; use asymmetric ones (${SUPPORTED_ALGORITHMS.join(', ')})`,
      );
    }
  }
  const clockToleranceSeconds = options.clockToleranceSeconds ?? 30;
  if (
    typeof clockToleranceSeconds !== 'number' ||
    !Number.isFinite(clockToleranceSeconds) ||
    clockToleranceSeconds < 0 ||
    clockToleranceSeconds > 300
  ) {
    throw new TypeError(`${where}: options.clockToleranceSeconds must be between 0 and 300`);
  }
  const maxTokenLength = options.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength <= 0) {
    throw new TypeError(`${where}: options.maxTokenLength must be a positive integer`);
  }
  if (options.requiredClaims !== undefined && !Array.isArray(options.requiredClaims)) {
    throw new TypeError(
      `${where}: options.requiredClaims must be an array of claim names, e.g. ['client_id']`,
    );
  }
  const requiredClaims = [...BASE_REQUIRED_CLAIMS, ...(options.requiredClaims ?? [])];
  if (requiredClaims.some((claim) => typeof claim !== 'string' || claim.length === 0)) {
    throw new TypeError(`${where}: options.requiredClaims must be claim names`);
  }
  if (options.claims !== undefined) {
    if (typeof options.claims !== 'object' || options.claims === null) {
      throw new TypeError(`${where}: options.claims must be a claim mapping such as claimMappings.standard`);
    }
    assertKnownOptions(where, options.claims, ['tenant', 'roles', 'scopes'], 'options.claims');
  }
  for (const field of ['tenant', 'roles', 'scopes'] as const) {
    const reader = options.claims?.[field];
    if (reader !== undefined && typeof reader !== 'string' && typeof reader !== 'function') {
      throw new TypeError(`${where}: options.claims.${field} must be a claim name or a function`);
    }
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError(`${where}: options.fetch must be a function`);
  }
  return {
    issuer: options.issuer,
    audience: audiences.length === 1 ? (audiences[0] as string) : audiences,
    jwksUri: options.jwksUri,
    algorithms,
    clockToleranceSeconds,
    maxTokenLength,
    claims: options.claims,
    requiredClaims: [...new Set(requiredClaims)],
    fetch: options.fetch,
  };
}
