import type { ClaimMapping } from '../claim-mappings';
import type { AccessTokenVerifierOptions } from '../verify-access-token';

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

/** Checks the options of `createAccessTokenVerifier` eagerly. @throws TypeError */
export function validateVerifierOptions(options: AccessTokenVerifierOptions): Settings {
  const where = 'verifyAccessToken';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options are required`);
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) {
    throw new TypeError(`${where}: options.issuer must be the issuer URL`);
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
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > 300) {
    throw new TypeError(`${where}: options.clockToleranceSeconds must be between 0 and 300`);
  }
  const maxTokenLength = options.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength <= 0) {
    throw new TypeError(`${where}: options.maxTokenLength must be a positive integer`);
  }
  const requiredClaims = [...BASE_REQUIRED_CLAIMS, ...(options.requiredClaims ?? [])];
  if (requiredClaims.some((claim) => typeof claim !== 'string' || claim.length === 0)) {
    throw new TypeError(`${where}: options.requiredClaims must be claim names`);
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
