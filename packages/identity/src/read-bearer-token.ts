/** `Bearer`, any case, one or more spaces, then one token of visible ASCII characters (RFC 6750 §2.1). */
const BEARER = /^Bearer +([\x21-\x7e]+)$/i;

/**
 * The bearer token of an `Authorization` header value (RFC 6750 §2.1), or undefined when there is none. The
 * value is trimmed; the scheme matches in any case (`Bearer`, `bearer`) and is followed by one or more spaces
 * and exactly one token of visible ASCII characters. Anything else (another scheme such as `Basic`, a tab after
 * the scheme, two tokens, non-ASCII characters, an empty or absent header) is undefined, never a partial token.
 *
 * @param header the header value as the framework hands it (`request.headers.get('authorization')`)
 * @example
 * const token = readBearerToken(request.headers.get('authorization'));
 * if (token === undefined) return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
 */
export function readBearerToken(header: string | null | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header.trim())?.[1];
}
