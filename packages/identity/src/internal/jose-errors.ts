import { errors } from 'jose';
import { type TokenRejectionReason, TokenVerificationFailed } from '../errors';

/** Turns a `jose` verification error into a `TokenVerificationFailed` with a reason. Never quotes the token. */
export function fromJoseError(error: unknown): TokenVerificationFailed {
  if (TokenVerificationFailed.isInstance(error)) return error;
  const reason = reasonOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return new TokenVerificationFailed(reason, describe(reason, message), { cause: error });
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

function describe(reason: TokenRejectionReason, detail: string): string {
  switch (reason) {
    case 'expired':
      return `the token has expired (${detail})`;
    case 'not_yet_valid':
      return `the token is not valid yet (${detail})`;
    case 'issuer':
      return 'the token was issued by another issuer';
    case 'audience':
      return 'the token is meant for another audience';
    case 'typ':
      return `the token is not an RFC 9068 access token (typ at+jwt): ${detail}`;
    case 'algorithm':
      return `the token's signing algorithm is not allowed (${detail})`;
    case 'signature':
      return 'the token signature does not verify';
    case 'unknown_key':
      return `no key of the issuer matches the token (${detail})`;
    case 'malformed':
      return `the token is not a well-formed JWT (${detail})`;
    case 'jwks':
      return `the issuer's signing keys could not be fetched (${detail})`;
    default:
      return detail;
  }
}
