import { randomUUID } from 'node:crypto';
import type { AgentSession, Gate, Guard, Risk } from '@agentgate/core';
import { type AccessTokenVerifier, readBearerToken, TokenVerificationFailed } from '@agentgate/identity';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { StepUpUrl } from './gate-error-result';
import { type HttpAnswer, insufficientScope, jsonRpcError, unauthorized } from './internal/challenges';
import { delegatedSession } from './internal/delegated-session';
import { guardToolHandler, sessionOfRequest } from './internal/guarded-handler';
import { audienceMatches, calledTools, isInitialize } from './internal/json-rpc-request';
import { registeredTools, sealRegisteredTools } from './internal/registered-tools';
import { assertToolsMatch, validate } from './internal/tool-policies';
import { protectedResourceMetadata, protectedResourceMetadataUrl } from './protected-resource-metadata';

/** How one tool is protected. */
export interface ProtectedToolOptions {
  /** Guards the call must pass, in order (after the scope check). */
  guards?: readonly Guard[];
  /** Risk of the tool, checked against the gate's risk policy at creation. @default 'low' */
  risk?: Risk;
  /**
   * Scopes the caller's token must carry: the tool is listed only with them, and a call without them is
   * refused with `403 insufficient_scope` naming them, so the MCP client can ask the user for more.
   */
  scopes?: readonly string[];
  /** Lists the tool only when this returns true (e.g. an FGA check); calls are still guarded. */
  visible?: (input: { session: AgentSession }) => boolean | Promise<boolean>;
}

/** Options of {@link protectMcpServer}. */
export interface ProtectMcpServerOptions {
  gate: Gate;
  /** Verifies bearer tokens (RFC 9068); its audience must be `resource`. */
  verifier: AccessTokenVerifier;
  /** This server's resource identifier (RFC 8707): the MCP endpoint's absolute URL. Tokens for another audience are refused. */
  resource: string;
  /** Issuers whose tokens the verifier accepts, advertised in the RFC 9728 metadata. */
  authorizationServers: readonly string[];
  /** Every tool the server registers, by name. A registered tool without an entry is a `TypeError` at creation. */
  tools: Readonly<Record<string, ProtectedToolOptions>>;
  /** Scopes every request needs (e.g. `['mcp:tools']`); refused with `403 insufficient_scope`. @default [] */
  requiredScopes?: readonly string[];
  /** Advertised in the metadata. @default the union of the tools' scopes and `requiredScopes` */
  scopesSupported?: readonly string[];
  resourceName?: string;
  /** Where a step-up sends the user, for URL-mode elicitation; without it a step-up is a tool error. */
  stepUpUrl?: StepUpUrl;
  /** MCP sessions idle longer than this are closed. @default 1800 */
  sessionIdleSeconds?: number;
}

/** An MCP server behind AgentGate, served over Streamable HTTP. */
export interface ProtectedMcpServer {
  /** Answers one HTTP request: the RFC 9728 metadata, or the MCP endpoint (Hono: `app.all('*', (c) => mcp.fetch(c.req.raw))`). */
  fetch(request: Request): Promise<Response>;
  /** The RFC 9728 document served at {@link resourceMetadataUrl} (and at `/.well-known/oauth-protected-resource`). */
  readonly resourceMetadata: OAuthProtectedResourceMetadata;
  readonly resourceMetadataUrl: string;
  /** Closes every open MCP session. */
  close(): Promise<void>;
}

interface McpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  tools: Readonly<Record<string, RegisteredTool>>;
  owner: string;
  lastSeen: number;
}

function toResponse(answer: HttpAnswer): Response {
  return Response.json(answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * Serves an MCP server's tools behind AgentGate over Streamable HTTP, as an OAuth 2.1 resource server per the
 * MCP authorization spec: RFC 9728 metadata, `WWW-Authenticate` challenges (401 with `resource_metadata`, 403
 * `insufficient_scope` with the scopes needed), tokens bound to this server's `resource` (RFC 8707). Every tool
 * call runs through `gate.run` with the session of the verified bearer token; `tools/list` shows only the
 * tools the caller may use. Interrupts become URL-mode elicitations or tool errors (see `gateErrorResult`).
 *
 * `createServer` builds one `McpServer` per MCP session (the SDK's servers serve one transport each); each
 * session is bound to the user and client that opened it. Its tools are fixed once guarded: registering another
 * tool on that server later throws a `TypeError`. A delegated token's `act` (RFC 8693) must name the token's
 * client, or the token is refused with 401 `invalid_token`.
 *
 * @example
 * const mcp = protectMcpServer(() => buildServer(), {
 *   gate, verifier, resource: 'https://mcp.acme.example/mcp', authorizationServers: [issuer],
 *   tools: { list_events: { scopes: ['calendar:read'] } },
 * });
 * app.all('*', (c) => mcp.fetch(c.req.raw));
 * @throws TypeError on malformed options, a tool without an entry in `tools`, or a tool whose guards do not satisfy
 * the gate's risk policy
 */
export function protectMcpServer(
  createServer: () => McpServer,
  options: ProtectMcpServerOptions,
): ProtectedMcpServer {
  if (typeof createServer !== 'function') {
    throw new TypeError('protectMcpServer: the first argument must be a function returning a new McpServer');
  }
  const policies = validate(options);
  const probe = createServer();
  try {
    assertToolsMatch(registeredTools(probe), policies);
  } finally {
    void probe.close().catch(() => {});
  }

  const { gate, verifier, resource } = options;
  const requiredScopes = [...(options.requiredScopes ?? [])];
  const scopesSupported = options.scopesSupported ?? [
    ...new Set([...requiredScopes, ...[...policies.values()].flatMap((policy) => policy.scopes)]),
  ];
  const resourceMetadata = protectedResourceMetadata({
    resource,
    authorizationServers: options.authorizationServers,
    scopesSupported,
    ...(options.resourceName ? { resourceName: options.resourceName } : {}),
  });
  const resourceMetadataUrl = protectedResourceMetadataUrl(resource);
  const metadataPaths = new Set([
    new URL(resourceMetadataUrl).pathname,
    '/.well-known/oauth-protected-resource',
  ]);
  const endpointPath = new URL(resource).pathname;
  const idleMs = (options.sessionIdleSeconds ?? 1800) * 1000;
  const sessions = new Map<string, McpSession>();

  const sweep = (now: number) => {
    for (const [id, session] of sessions) {
      if (now - session.lastSeen > idleMs) {
        sessions.delete(id);
        void session.transport.close().catch(() => {});
      }
    }
  };

  const openSession = async (owner: string): Promise<McpSession> => {
    const server = createServer();
    const tools = registeredTools(server);
    assertToolsMatch(tools, policies);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, entry);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    for (const [name, tool] of Object.entries(tools)) {
      guardToolHandler(tool, {
        name,
        gate,
        policy: policies.get(name)!,
        urlElicitation: () => server.server.getClientCapabilities()?.elicitation?.url !== undefined,
        ...(options.stepUpUrl ? { stepUpUrl: options.stepUpUrl } : {}),
      });
    }
    // From here on a tool registered on this server (before or after connect) is a TypeError, never served.
    const entry: McpSession = {
      transport,
      server,
      tools: sealRegisteredTools(server),
      owner,
      lastSeen: Date.now(),
    };
    await server.connect(transport);
    return entry;
  };

  /** Lists exactly the tools this caller may use (the SDK's `tools/list` skips disabled tools). */
  const trimTools = async (session: McpSession, caller: AgentSession) => {
    const granted = new Set(caller.scopes);
    for (const [name, tool] of Object.entries(session.tools)) {
      const policy = policies.get(name);
      // The record is sealed (no tool can be added); a tool without a policy is never listed nor callable.
      if (policy === undefined) {
        tool.enabled = false;
        continue;
      }
      let allowed = policy.scopes.every((scope) => granted.has(scope));
      if (allowed && policy.visible) {
        try {
          allowed = (await policy.visible({ session: caller })) === true;
        } catch {
          allowed = false;
        }
      }
      tool.enabled = allowed;
    }
  };

  const authorize = async (
    request: Request,
  ): Promise<HttpAnswer | { session: AgentSession; owner: string; expiresAt?: number; clientId: string }> => {
    const token = readBearerToken(request.headers.get('authorization'));
    if (token === undefined)
      return unauthorized(resourceMetadataUrl, undefined, scopesSupported.join(' ') || undefined);
    let verified: Awaited<ReturnType<AccessTokenVerifier['verify']>>;
    let session: AgentSession;
    try {
      verified = await verifier.verify(token, { signal: request.signal });
      // A delegated token's actor (`act`) must be the client the session names: else it is refused here.
      session = delegatedSession(verified);
    } catch (error) {
      const reason =
        error instanceof TokenVerificationFailed ? String(error.details.reason ?? 'invalid') : 'invalid';
      return unauthorized(resourceMetadataUrl, { description: `the access token was refused (${reason})` });
    }
    // RFC 8707: a token for another audience never reaches a tool, whatever the verifier was told.
    if (!audienceMatches(verified.claims.aud, resource)) {
      return unauthorized(resourceMetadataUrl, { description: 'the access token was refused (audience)' });
    }
    const { claims } = verified;
    const clientId =
      typeof claims['client_id'] === 'string' ? claims['client_id'] : (session.agent?.clientId ?? '');
    return {
      session,
      clientId,
      owner: JSON.stringify([session.user.iss, session.user.sub, session.tenant ?? null, clientId]),
      ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
    };
  };

  const missingScopes = (session: AgentSession, body: unknown): string[] => {
    const granted = new Set(session.scopes);
    const needed = [
      ...requiredScopes,
      ...calledTools(body).flatMap((name) => policies.get(name)?.scopes ?? []),
    ];
    return [...new Set(needed.filter((scope) => !granted.has(scope)))];
  };

  const handleMcp = async (request: Request): Promise<Response> => {
    const caller = await authorize(request);
    if ('status' in caller) return toResponse(caller);

    let parsedBody: unknown;
    if (request.method === 'POST') {
      try {
        parsedBody = await request.clone().json();
      } catch {
        return toResponse(jsonRpcError(400, -32700, 'Parse error: the body is not JSON'));
      }
    }
    const missing = missingScopes(caller.session, parsedBody);
    if (missing.length > 0) {
      // Ask for what the token holds plus what is missing, so a re-authorization loses nothing.
      const scope = [
        ...new Set([...caller.session.scopes.filter((held) => scopesSupported.includes(held)), ...missing]),
      ];
      return toResponse(
        insufficientScope(
          resourceMetadataUrl,
          scope.join(' '),
          `this request needs the scopes: ${missing.join(' ')}`,
        ),
      );
    }

    const now = Date.now();
    sweep(now);
    const sessionId = request.headers.get('mcp-session-id');
    let session: McpSession | undefined;
    if (sessionId !== null) {
      session = sessions.get(sessionId);
      // Another user's (or client's) session id is as unknown as an expired one.
      if (!session || session.owner !== caller.owner) {
        return toResponse(jsonRpcError(404, -32001, 'Session not found'));
      }
    } else if (request.method === 'POST' && isInitialize(parsedBody)) {
      session = await openSession(caller.owner);
    } else {
      return toResponse(jsonRpcError(400, -32000, 'Bad Request: no valid session id'));
    }
    session.lastSeen = now;
    await trimTools(session, caller.session);
    const authInfo: AuthInfo = {
      // The token itself stays here: tools get the session view, never the bearer token.
      token: '[verified]',
      clientId: caller.clientId,
      scopes: [...caller.session.scopes],
      resource: new URL(resource),
      ...(caller.expiresAt === undefined ? {} : { expiresAt: caller.expiresAt }),
    };
    sessionOfRequest.set(authInfo, caller.session);
    return session.transport.handleRequest(request, { parsedBody, authInfo });
  };

  return Object.freeze({
    resourceMetadata,
    resourceMetadataUrl,
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (metadataPaths.has(url.pathname)) {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
        }
        return Response.json(resourceMetadata, { headers: { 'access-control-allow-origin': '*' } });
      }
      if (url.pathname !== endpointPath) return new Response('Not Found', { status: 404 });
      return handleMcp(request);
    },
    async close(): Promise<void> {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((session) => session.transport.close()));
    },
  });
}
