import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, currentCall } from '@agentgate/core';
import { createAccessTokenVerifier } from '@agentgate/identity';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProtectedMcpServer, protectMcpServer, toNodeListener } from '../src/index';
import { type LocalIssuer, startLocalIssuer } from './support/local-issuer';
import { MemoryOAuthProvider } from './support/memory-oauth-provider';

// Tokens no real authorization server issues (an `act` naming another client), signed by a loopback issuer.
let issuer: LocalIssuer;
let mcp: ProtectedMcpServer;
let resource: string;
const http = createServer();

function buildServer(): McpServer {
  const server = new McpServer({ name: 'delegated', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the tool acts for' }, () => {
    const session = currentCall()?.session;
    return { content: [{ type: 'text', text: `${session?.user.sub} via ${session?.agent?.id}` }] };
  });
  return server;
}

beforeAll(async () => {
  issuer = await startLocalIssuer();
  let handler: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  http.on(
    'request',
    toNodeListener((request) => handler(request)),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  resource = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  mcp = protectMcpServer(buildServer, {
    gate: createGate({ audit: false }),
    verifier: createAccessTokenVerifier({
      issuer: issuer.issuer,
      audience: resource,
      jwksUri: issuer.jwksUri,
    }),
    resource,
    authorizationServers: [issuer.issuer],
    tools: { whoami: {} },
  });
  handler = (request) => mcp.fetch(request);
});

afterAll(async () => {
  await mcp?.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await issuer?.close();
});

const tokenFor = (claims: Record<string, unknown>) =>
  issuer.sign({ sub: 'alice', aud: resource, scope: 'openid', ...claims });

/** Opens an MCP session with the token (the raw `initialize` request a client sends first). */
const initialize = (token: string) =>
  fetch(resource, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw-client', version: '1.0.0' },
      },
    }),
  });

async function whoami(token: string): Promise<string> {
  const provider = new MemoryOAuthProvider({ access_token: token, token_type: 'Bearer' });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return (result.content as { text: string }[]).map((part) => part.text).join('');
  } finally {
    await client.close();
  }
}

describe('protectMcpServer with delegated tokens (RFC 8693 act)', () => {
  it.each([
    [
      'an act naming another client than client_id',
      { client_id: 'agentgate-agent', act: { sub: 'evil-agent' } },
    ],
    ['an act naming another client than azp', { azp: 'agentgate-agent', act: { sub: 'evil-agent' } }],
    ['an act without a string sub', { client_id: 'agentgate-agent', act: { sub: 7 } }],
    ['an act that is no object', { client_id: 'agentgate-agent', act: 'agentgate-agent' }],
    [
      'a malformed nested act',
      { client_id: 'agentgate-agent', act: { sub: 'agentgate-agent', act: { name: 'orchestrator' } } },
    ],
  ])('refuses a token with %s: 401 invalid_token, no session', async (_what, claims) => {
    const token = await tokenFor(claims);
    const response = await initialize(token);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain('the access token was refused (claims)');
    expect(challenge).not.toContain(token);
    expect(response.headers.get('mcp-session-id')).toBeNull();
  });

  it("serves a well-formed delegated token with the actor as the session's agent", async () => {
    // The client the token was issued to acts (nested: for an orchestrator that acted before it).
    expect(
      await whoami(
        await tokenFor({
          client_id: 'agentgate-agent',
          act: { sub: 'agentgate-agent', act: { sub: 'orchestrator' } },
        }),
      ),
    ).toBe('alice via agentgate-agent');
    // A token naming no client: its actor is the agent.
    expect(await whoami(await tokenFor({ act: { sub: 'agentgate-agent' } }))).toBe(
      'alice via agentgate-agent',
    );
    // The user's own token (no act): the agent is the client it was issued to.
    expect(await whoami(await tokenFor({ client_id: 'web-app' }))).toBe('alice via web-app');
  });
});
