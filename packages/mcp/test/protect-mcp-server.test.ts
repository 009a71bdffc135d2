import { createAccessTokenVerifier } from '@agentgate/identity';
import { createOnBehalfOf } from '@agentgate/token-vault';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_ERROR_META_KEY } from '../src/index';
import { builtServers, type McpFixture, seenByTools, startMcpFixture } from './support/mcp-fixture';
import { MemoryOAuthProvider } from './support/memory-oauth-provider';
import { authorizeInBrowser } from './support/scripted-browser';

let fixture: McpFixture;

beforeAll(async () => {
  fixture = await startMcpFixture();
});

afterAll(async () => {
  await fixture?.close();
});

const withUrlElicitation = { capabilities: { elicitation: { url: {} } } };

/** A real MCP client that signs `username` in through discovery, registration and code + PKCE. */
async function signedInClient(
  username: string,
  clientOptions: { capabilities?: object } = withUrlElicitation,
) {
  const provider = new MemoryOAuthProvider();
  const url = new URL(fixture.resource);
  const first = new Client({ name: 'test-client', version: '1.0.0' }, clientOptions);
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  const authorizationUrl = provider.authorizationUrls.at(-1)!;
  const user = fixture.dev.users.find((candidate) => candidate.username === username)!;
  const code = await authorizeInBrowser(authorizationUrl, user, provider.redirectUrl);
  await transport.finishAuth(code);
  const client = new Client({ name: 'test-client', version: '1.0.0' }, clientOptions);
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  return { client, provider, authorizationUrl };
}

/** A client holding a fixed token (no way to re-authorize): what a caller with that token gets. */
async function clientWithToken(
  accessToken: string,
  clientOptions: { capabilities?: object } = withUrlElicitation,
) {
  const provider = new MemoryOAuthProvider({ access_token: accessToken, token_type: 'Bearer' });
  provider.registered = { client_id: 'agentgate-agent' };
  const client = new Client({ name: 'test-client', version: '1.0.0' }, clientOptions);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(fixture.resource), { authProvider: provider }),
  );
  return { client, provider };
}

function mcpToken(username: string, scope: string) {
  return fixture.dev.login(username, { resource: fixture.resource, scope });
}

const textOf = (result: unknown) =>
  (((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[])
    .map((part) => part.text ?? '')
    .join('');

describe('protectMcpServer', () => {
  it('lets a real MCP client discover, register and sign in with code + PKCE, then call a protected tool', async () => {
    const { client, provider, authorizationUrl } = await signedInClient('alice@acme');
    // RFC 7591: the client registered itself as a public client.
    expect(provider.registered?.client_id).toEqual(expect.any(String));
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(fixture.resource);
    expect(provider.tokens()?.access_token).toEqual(expect.any(String));

    const result = await client.callTool({ name: 'list_events', arguments: { day: '2026-12-02' } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('events on 2026-12-02 for alice');
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(textOf(who)).toBe(`alice via ${provider.registered?.client_id}`);

    const events = fixture.audit.events.filter((event) => event.tool === 'list_events');
    expect(events.map((event) => [event.sub, event.outcome])).toContainEqual(['alice', 'allow']);
    await client.close();
  });

  it('hands a tool no credential: neither authInfo nor the Authorization header of the request', async () => {
    const { access_token: token } = await mcpToken('alice@acme', 'openid calendar:read');
    const { client } = await clientWithToken(token);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(textOf(who)).toBe('alice via agentgate-agent');
    const extra = seenByTools.extra as { authInfo?: unknown; requestInfo?: { headers?: object } };
    expect(extra.authInfo).toBeUndefined();
    // The SDK copies every request header into extra.requestInfo; the bearer token must not be among them.
    expect(extra.requestInfo?.headers).toEqual(expect.any(Object));
    expect(extra.requestInfo?.headers).not.toHaveProperty('authorization');
    expect(JSON.stringify(extra)).not.toContain(token);
    await client.close();
  });

  it('refuses a tool registered after protectMcpServer guarded the session server: a TypeError, never served', async () => {
    const { client } = await clientWithToken(
      (await mcpToken('alice@acme', 'openid calendar:read')).access_token,
    );
    // The server of this MCP session, connected to its transport.
    const server = builtServers.at(-1)!;
    const ran: string[] = [];
    const late = () => {
      ran.push('late');
      return { content: [{ type: 'text' as const, text: 'ran unguarded' }] };
    };
    const thrownBy = (register: () => unknown) => {
      try {
        register();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const [name, register] of [
      ['late_tool', () => server.registerTool('late_tool', { description: 'Registered late' }, late)],
      ['late_shorthand', () => server.tool('late_shorthand', late)],
    ] as const) {
      const error = thrownBy(register);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(
        `protectMcpServer: tool '${name}' was registered after protectMcpServer guarded this server; ` +
          'it has no policy and is never served (register every tool in createServer and name it in options.tools)',
      );
    }

    const listed = (await client.listTools()).tools.map((tool) => tool.name);
    expect(listed).not.toContain('late_tool');
    expect(listed).not.toContain('late_shorthand');
    for (const name of ['late_tool', 'late_shorthand']) {
      const result = await client.callTool({ name, arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`Tool ${name} not found`);
    }
    expect(ran).toEqual([]);
    // The session still serves its guarded tools.
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(
      'alice via agentgate-agent',
    );
    await client.close();
  });

  it("serves an on-behalf-of token (RFC 8693) for the user, with the acting agent as the session's agent", async () => {
    const agent = 'agentgate-agent';
    const verifier = createAccessTokenVerifier({ issuer: fixture.dev.issuer, audience: fixture.resource });
    // The user's session as the agent holds it, then a delegated token for this MCP server, narrowed to one scope.
    const user = await verifier(
      (await mcpToken('alice@acme', 'openid calendar:read calendar:write')).access_token,
    );
    const delegated = await createOnBehalfOf({
      issuer: fixture.dev.issuer,
      clientId: agent,
      clientSecret: fixture.dev.clients.find((client) => client.clientId === agent)!.clientSecret,
      audience: fixture.resource,
      allowInsecureRequests: true,
    }).getToken(user, { scopes: ['calendar:read'] });
    const { claims } = await verifier.verify(delegated.accessToken);
    expect(claims).toMatchObject({ sub: 'alice', client_id: agent, act: { sub: agent } });

    const { client } = await clientWithToken(delegated.accessToken);
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(`alice via ${agent}`);
    const listed = (await client.listTools()).tools.map((tool) => tool.name);
    expect(listed).toContain('list_events');
    // The exchange narrowed the token: what needs calendar:write is neither listed nor callable.
    expect(listed).not.toContain('create_event');
    await expect(
      client.callTool({ name: 'create_event', arguments: { title: 'Offsite' } }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    await client.close();
  });

  it('lists only the tools the caller may use', async () => {
    const alice = await signedInClient('alice@acme');
    const aliceTools = (await alice.client.listTools()).tools.map((tool) => tool.name).sort();
    expect(aliceTools).toEqual([
      'admin_report',
      'approve_budget',
      'create_event',
      'delete_all_events',
      'list_events',
      'sync_external_calendar',
      'whoami',
    ]);
    // bob is no admin; his token carries calendar:read only.
    const bob = await clientWithToken((await mcpToken('bob@acme', 'openid calendar:read')).access_token);
    const bobTools = (await bob.client.listTools()).tools.map((tool) => tool.name).sort();
    expect(bobTools).toEqual(['approve_budget', 'list_events', 'sync_external_calendar', 'whoami']);
    await alice.client.close();
    await bob.client.close();
  });

  it('answers 401 with resource_metadata without a token, and serves the RFC 9728 metadata', async () => {
    const response = await fetch(fixture.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${fixture.mcp.resourceMetadataUrl}"`);
    expect(challenge).not.toContain('error=');
    expect(fixture.mcp.resourceMetadataUrl).toBe(
      new URL('/.well-known/oauth-protected-resource/mcp', fixture.resource).href,
    );

    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const metadata = await (await fetch(new URL(path, fixture.resource))).json();
      expect(metadata).toMatchObject({
        resource: fixture.resource,
        authorization_servers: [fixture.dev.issuer],
        bearer_methods_supported: ['header'],
      });
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['calendar:read', 'calendar:write']));
    }
  });

  it('refuses a token issued for another audience with 401 invalid_token', async () => {
    const apiToken = (await fixture.dev.login('alice@acme')).access_token; // audience: the demo API
    const response = await fetch(fixture.resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain('(audience)');
    expect(challenge).toContain(`resource_metadata="${fixture.mcp.resourceMetadataUrl}"`);
    expect(JSON.stringify(await response.json())).not.toContain(apiToken);

    // The SDK client with that token cannot connect either (it would have to sign in again).
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    const provider = new MemoryOAuthProvider({ access_token: apiToken, token_type: 'Bearer' });
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(new URL(fixture.resource), { authProvider: provider }),
      ),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a call without the tool scopes with 403 insufficient_scope naming them, and the client asks for them', async () => {
    const token = (await mcpToken('alice@acme', 'openid calendar:read')).access_token;
    const { client, provider } = await clientWithToken(token);
    const list = await client.callTool({ name: 'list_events', arguments: { day: '2026-12-02' } });
    expect(textOf(list)).toBe('events on 2026-12-02 for alice');

    await expect(
      client.callTool({ name: 'create_event', arguments: { title: 'Offsite' } }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    // The SDK read the challenge and sent the user to authorize the missing scope (keeping the one held).
    const scopes = provider.authorizationUrls.at(-1)?.searchParams.get('scope')?.split(' ') ?? [];
    expect(scopes).toEqual(expect.arrayContaining(['calendar:read', 'calendar:write']));

    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId ?? '';
    const response = await fetch(fixture.resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'create_event', arguments: { title: 'Offsite' } },
      }),
    });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="calendar:read calendar:write"');
    expect(challenge).toContain(`resource_metadata="${fixture.mcp.resourceMetadataUrl}"`);
    await client.close();
  });

  it("refuses another user's (or another client's) MCP session id", async () => {
    const alice = await clientWithToken((await mcpToken('alice@acme', 'openid calendar:read')).access_token);
    const sessionId = (alice.client.transport as StreamableHTTPClientTransport).sessionId ?? '';
    expect(sessionId).not.toBe('');
    const bobToken = (await mcpToken('bob@acme', 'openid calendar:read')).access_token;
    const response = await fetch(fixture.resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bobToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      }),
    });
    expect(response.status).toBe(404);

    // The same user through another client (registered on its own) cannot take the session over either.
    const other = await signedInClient('alice@acme');
    const otherToken = other.provider.tokens()?.access_token ?? '';
    const takeover = await fetch(fixture.resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${otherToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      }),
    });
    expect(takeover.status).toBe(404);
    await other.client.close();
    await alice.client.close();
  });

  it('surfaces connect-an-account as URL-mode elicitation when the client supports it', async () => {
    const { client } = await signedInClient('alice@acme');
    const error = await client
      .callTool({ name: 'sync_external_calendar', arguments: {} })
      .catch((thrown) => thrown);
    expect(error).toBeInstanceOf(McpError);
    expect(error.code).toBe(ErrorCode.UrlElicitationRequired);
    expect(error.data.elicitations).toEqual([
      expect.objectContaining({ mode: 'url', url: fixture.connectUrl, elicitationId: expect.any(String) }),
    ]);
    await client.close();
  });

  it('surfaces connect-an-account as a tool error with the link when the client has no URL elicitation', async () => {
    const token = (await mcpToken('alice@acme', 'openid calendar:read')).access_token;
    const { client } = await clientWithToken(token, {});
    const result = await client.callTool({ name: 'sync_external_calendar', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('CONNECTION_REQUIRED');
    expect(textOf(result)).toContain(fixture.connectUrl);
    expect(result._meta?.[GATE_ERROR_META_KEY]).toMatchObject({
      kind: 'interrupt',
      code: 'CONNECTION_REQUIRED',
      details: { connection: 'acme-calendar', connectUrl: fixture.connectUrl },
    });
    await client.close();
  });

  it('answers a pending approval with an error result naming the approval and how to resume', async () => {
    const { client } = await signedInClient('alice@acme');
    const result = await client.callTool({ name: 'delete_all_events', arguments: { day: '2026-12-24' } });
    expect(result.isError).toBe(true);
    const meta = result._meta?.[GATE_ERROR_META_KEY] as { code: string; details: { approvalId: string } };
    expect(meta.code).toBe('APPROVAL_PENDING');
    expect(meta.details.approvalId).toMatch(/^appr-/);
    expect(textOf(result)).toContain(`approval ${meta.details.approvalId}`);
    expect(textOf(result)).toContain("call 'delete_all_events' again with the same arguments");
    // Nothing ran: the tool's own text never appears, and the gate recorded the interrupt.
    expect(textOf(result)).not.toContain('deleted');
    expect(
      fixture.audit.events.some(
        (event) => event.tool === 'delete_all_events' && event.outcome === 'interrupt',
      ),
    ).toBe(true);
    await client.close();
  });

  it('surfaces a step-up as URL-mode elicitation with the stepUpUrl, or as a tool error naming acr_values', async () => {
    const token = (await mcpToken('alice@acme', 'openid calendar:read')).access_token;
    const capable = await clientWithToken(token);
    const error = await capable.client
      .callTool({ name: 'approve_budget', arguments: {} })
      .catch((thrown) => thrown);
    expect(error).toBeInstanceOf(McpError);
    expect(error.code).toBe(ErrorCode.UrlElicitationRequired);
    const url = new URL(error.data.elicitations[0].url);
    expect(url.pathname).toBe('/step-up');
    expect(url.searchParams.get('acr_values')).toBe('urn:agentgate:loa:2');

    const plain = await clientWithToken(token, {});
    const result = await plain.client.callTool({ name: 'approve_budget', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('STEP_UP_REQUIRED');
    expect(textOf(result)).toContain('acr_values=urn:agentgate:loa:2');
    await capable.client.close();
    await plain.client.close();
  });
});
