import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';

/** Options of {@link protectedResourceMetadata}. */
export interface ProtectedResourceMetadataOptions {
  /** This server's resource identifier (RFC 8707): the MCP endpoint's URL, e.g. `https://mcp.acme.example/mcp`. */
  resource: string;
  /** Issuers of the authorization servers that issue tokens for it. */
  authorizationServers: readonly string[];
  /** Scopes a client may ask for. */
  scopesSupported?: readonly string[];
  /** Display name. */
  resourceName?: string;
}

/**
 * The URL of a resource's RFC 9728 metadata: `/.well-known/oauth-protected-resource` inserted before the
 * resource's path (`https://mcp.example/mcp` → `https://mcp.example/.well-known/oauth-protected-resource/mcp`).
 *
 * @example protectedResourceMetadataUrl('https://mcp.acme.example/mcp')
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return new URL(`/.well-known/oauth-protected-resource${path}`, url.origin).href;
}

/**
 * The RFC 9728 protected resource metadata document of an MCP server.
 *
 * @example protectedResourceMetadata({ resource: 'https://mcp.acme.example/mcp', authorizationServers: [issuer] })
 */
export function protectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): OAuthProtectedResourceMetadata {
  return {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    bearer_methods_supported: ['header'],
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
  };
}
