import { describeThrown } from '@agentgate/core';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { type TokenRejectionReason, TokenVerificationFailed } from '../errors';

/** What the verifier expected, so a refusal can say what it wanted and what the token carried. */
export interface Expectations {
  issuer: string;
  audience: string | readonly string[];
  algorithms: readonly string[];
  jwksUri: string;
}

/**
 * Turns a `jose` verification error into a `TokenVerificationFailed` with a reason and a message that says what was
 * expected and what the token carried (issuer, audience, `typ`, `alg`, `kid`, times: none of them secret). Never quotes
 * the token.
 */
export function fromJoseError(
  error: unknown,
  token: string,
  expected: Expectations,
): TokenVerificationFailed {
  if (TokenVerificationFailed.isInstance(error)) return error;
  const reason = reasonOf(error);
  const message = describeThrown(error);
  return new TokenVerificationFailed(reason, describe(reason, message, carried(token), expected), {
    cause: error,
  });
}

function reasonOf(error: unknown): TokenRejectionReason {
  if (error instanceof errors.JWTExpired) return error.claim === 'exp' ? 'expired' : 'claims';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing' || error.reason === 'invalid') return 'claims';
    switch (error.claim) {
      case 'iss':
        return 'issuer';
      case 'aud':
        return 'audience';
      case 'nbf':
      case 'iat':
        return 'not_yet_valid';
      case 'typ':
        return 'typ';
      default:
        return 'claims';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  // JWKS timeouts, invalid key sets, HTTP and network failures while fetching keys.
  return 'jwks';
}

/** The header and claims as the token states them (unverified: used only to explain a refusal). */
function carried(token: string): { header: ProtectedHeaderParameters; claims: JWTPayload } {
  let header: ProtectedHeaderParameters = {};
  let claims: JWTPayload = {};
  try {
    header = decodeProtectedHeader(token);
  } catch {
    // Unreadable: the message falls back to jose's own words.
  }
  try {
    claims = decodeJwt(token);
  } catch {
    // As above.
  }
  return { header, claims };
}

/** At most this many items of an array value (`aud`, an array `kid`) are quoted; the rest are counted. */
const maxShownItems = 5;
/** The longest quotation of one value, items joined, before it is cut with `…`. */
const maxShownLength = 200;
/**
 * What never appears in a message quoting an unverified value (log forging, text spoofing): control
 * (`Cc`) and format (`Cf`: bidi overrides such as U+202E, zero-width characters) characters, the line and
 * paragraph separators U+2028/U+2029, and lone surrogates.
 */
const unsafeCharacters = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu;

/**
 * A claim or header value as it may appear in a message: quoted, `none` when absent. Header values
 * are unverified when a refusal quotes them, so the result is bounded as a whole (at most
 * {@link maxShownItems} items, {@link maxShownLength} characters) and free of unsafe characters.
 */
function shown(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const quoted = items.slice(0, maxShownItems).map((item) => {
    const text = typeof item === 'string' ? item : (JSON.stringify(item) ?? String(item));
    // Cut before cleaning so a huge value costs nothing and a cut surrogate pair is cleaned too.
    return `'${text.slice(0, maxShownLength + 1).replace(unsafeCharacters, '?')}'`;
  });
  const more = items.length > maxShownItems ? ` and ${items.length - maxShownItems} more` : '';
  const joined = quoted.join(', ');
  return joined.length > maxShownLength
    ? `${joined.slice(0, maxShownLength).replace(unsafeCharacters, '?')}…${more}`
    : `${joined}${more}`;
}

function describe(
  reason: TokenRejectionReason,
  detail: string,
  { header, claims }: { header: ProtectedHeaderParameters; claims: JWTPayload },
  expected: Expectations,
): string {
  switch (reason) {
    case 'expired':
      return typeof claims.exp === 'number'
        ? `the token expired at ${new Date(claims.exp * 1000).toISOString()} (${detail})`
        : `the token has expired (${detail})`;
    case 'not_yet_valid':
      return `the token is not valid yet (${detail})`;
    case 'issuer':
      return `the token was issued by ${shown(claims.iss)}, this verifier trusts ${shown(expected.issuer)} (issuers must match exactly, trailing slash included)`;
    case 'audience':
      return `the token is for audience ${shown(claims.aud)}, this API expects ${shown(expected.audience)} (ask the provider for a token with resource/audience ${shown(expected.audience)})`;
    case 'typ': {
      const idToken = claims.nonce !== undefined || claims.at_hash !== undefined;
      return (
        `the token's typ is ${shown(header.typ)}, an RFC 9068 access token has 'at+jwt'` +
        (idToken ? ': this looks like an ID token; send the access token instead' : '')
      );
    }
    case 'algorithm':
      return `the token is signed with ${shown(header.alg)}, allowed: ${expected.algorithms.join(', ')}`;
    case 'signature':
      return `the token signature does not verify with the issuer's key ${shown(header.kid)}`;
    case 'unknown_key':
      return `no key in ${expected.jwksUri} matches the token's kid ${shown(header.kid)} (${detail})`;
    case 'malformed':
      return `the token is not a well-formed JWT (${detail})`;
    case 'jwks':
      return `the issuer's signing keys could not be fetched from ${expected.jwksUri} (${detail})`;
    default:
      return detail;
  }
}
