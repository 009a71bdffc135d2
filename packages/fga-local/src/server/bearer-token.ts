import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './api-error';

/**
 * A check of `Authorization: Bearer <token>` against the configured API token, the way OpenFGA's
 * pre-shared-key authentication answers: no token is `bearer_token_missing`, a wrong one
 * `unauthenticated` (both 401). Tokens are compared by digest in constant time and never echoed.
 */
export function bearerTokenCheck(apiToken: string): (headers: IncomingHttpHeaders) => void {
  const expected = digest(apiToken);
  return (headers) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (!match?.[1]) throw new ApiError('bearer_token_missing', 'missing bearer token', 401);
    if (!timingSafeEqual(digest(match[1]), expected))
      throw new ApiError('unauthenticated', 'unauthenticated', 401);
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
