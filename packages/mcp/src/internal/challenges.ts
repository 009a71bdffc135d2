import { bearerChallenge } from '@agentgate/identity';

/** An HTTP answer the MCP endpoint gives before the transport sees the request. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * 401 with `WWW-Authenticate: Bearer resource_metadata=…` (RFC 9728 §5.1); with `error="invalid_token"` when a
 * token was presented but refused (RFC 6750 §3.1).
 */
export function unauthorized(
  resourceMetadataUrl: string,
  refused?: { description: string },
  scope?: string,
): HttpAnswer {
  return {
    status: 401,
    headers: {
      'www-authenticate': bearerChallenge({
        ...(refused ? { error: 'invalid_token', error_description: refused.description } : {}),
        scope,
        resource_metadata: resourceMetadataUrl,
      }),
      'cache-control': 'no-store',
    },
    body: refused
      ? { error: 'invalid_token', error_description: refused.description }
      : { error: 'unauthorized', error_description: 'a bearer token is required' },
  };
}

/** 403 with `error="insufficient_scope"` and the scopes the request needs (RFC 6750 §3.1, MCP step-up). */
export function insufficientScope(
  resourceMetadataUrl: string,
  scope: string,
  description: string,
): HttpAnswer {
  return {
    status: 403,
    headers: {
      'www-authenticate': bearerChallenge({
        error: 'insufficient_scope',
        error_description: description,
        scope,
        resource_metadata: resourceMetadataUrl,
      }),
      'cache-control': 'no-store',
    },
    body: { error: 'insufficient_scope', error_description: description, scope },
  };
}

/** A JSON-RPC error answer (no id: the request could not be read). */
export function jsonRpcError(status: number, code: number, message: string): HttpAnswer {
  return { status, headers: {}, body: { jsonrpc: '2.0', error: { code, message }, id: null } };
}
