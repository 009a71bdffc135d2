/**
 * What open dynamic client registration (RFC 7591) accepts: public MCP clients using the authorization code
 * flow (PKCE is required of every client) with `https` or loopback `http` redirect URIs. A self-registered
 * confidential client would count as "an authenticated client" (client credentials, CIBA, token exchange,
 * on-behalf-of), so anything else is refused with `invalid_client_metadata`.
 */
const PUBLIC_GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A registration refusal, as RFC 7591 §3.2.2 words it. */
export interface RegistrationRefusal {
  error: 'invalid_client_metadata' | 'invalid_redirect_uri';
  error_description: string;
}

function refusal(error: RegistrationRefusal['error'], description: string): RegistrationRefusal {
  return { error, error_description: description };
}

/** `http:` only on loopback (RFC 8252 §7.3); other schemes are left to oidc-provider's own checks. */
function redirectRefusal(redirectUris: unknown): RegistrationRefusal | undefined {
  if (!Array.isArray(redirectUris)) return undefined;
  for (const uri of redirectUris) {
    if (typeof uri !== 'string' || !URL.canParse(uri)) continue;
    const url = new URL(uri);
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      return refusal(
        'invalid_redirect_uri',
        'http redirect URIs must be loopback (127.0.0.1, [::1], localhost)',
      );
    }
  }
  return undefined;
}

/**
 * Checks a registration request body and returns the body to register, or a refusal. MCP clients register with
 * the scopes they will request, API scopes included; oidc-provider checks a client's `scope` against its own
 * (OIDC) scopes only, so API scopes are dropped from the registration (resource servers decide what a token
 * gets). A body naming no `token_endpoint_auth_method` registers a public client (`none`).
 */
export function applyRegistrationPolicy(
  body: unknown,
  staticScopes: ReadonlySet<string>,
): { body: Record<string, unknown> } | { refused: RegistrationRefusal } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { refused: refusal('invalid_client_metadata', 'the registration must be a JSON object') };
  }
  const { scope, ...rest } = body as Record<string, unknown>;
  const method = rest['token_endpoint_auth_method'] ?? 'none';
  if (method !== 'none') {
    return {
      refused: refusal(
        'invalid_client_metadata',
        'open registration is for public clients: token_endpoint_auth_method must be none',
      ),
    };
  }
  const grantTypes = rest['grant_types'];
  if (
    grantTypes !== undefined &&
    (!Array.isArray(grantTypes) || !grantTypes.every((grant) => PUBLIC_GRANT_TYPES.has(grant)))
  ) {
    return {
      refused: refusal(
        'invalid_client_metadata',
        'open registration allows the grant types authorization_code and refresh_token only',
      ),
    };
  }
  const redirect = redirectRefusal(rest['redirect_uris']);
  if (redirect) return { refused: redirect };
  const registered: Record<string, unknown> = { ...rest, token_endpoint_auth_method: 'none' };
  if (typeof scope === 'string') {
    const kept = scope.split(' ').filter((value) => staticScopes.has(value));
    if (kept.length > 0) registered['scope'] = kept.join(' ');
  } else if (scope !== undefined) {
    registered['scope'] = scope;
  }
  return { body: registered };
}
