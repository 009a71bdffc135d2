/**
 * A protected MCP server on the embedded default — `pnpm --filter @agentgate/example-mcp-server start`.
 *
 * - The dev server (port 4000) is the MCP authorization server: discovery, dynamic client registration, login and
 *   consent pages, authorization code + PKCE, tokens bound to the MCP server's URL (RFC 8707).
 * - The MCP server (http://127.0.0.1:3333/mcp) serves calendar and document tools over Streamable HTTP. Every call
 *   passes the gate with the user of the verified bearer token; `tools/list` shows what the user's scopes allow.
 * - `read_document` checks OpenFGA (may this user view the document?) and calls the company's docs API on the user's
 *   behalf (RFC 8693 on-behalf-of, this server as actor).
 *
 * Connect any MCP client with OAuth support to http://127.0.0.1:3333/mcp and sign in as alice@acme / alice-password.
 */
import { createServer } from 'node:http';
import { createGate, jsonlAudit } from '@agentgate/core';
import { defaultSeed, startDevServer } from '@agentgate/dev-server';
import { createFgaAuthorizer } from '@agentgate/fga';
import { createAccessTokenVerifier } from '@agentgate/identity';
import { protectMcpServer, toNodeListener } from '@agentgate/mcp';
import { createOnBehalfOf } from '@agentgate/token-vault';
import { createDocsApi } from './docs-api';
import { createToolServer } from './tools';

const devPort = Number(process.env.AGENTGATE_DEV_PORT ?? 4000);
const mcpPort = Number(process.env.MCP_PORT ?? 3333);
const origin = `http://127.0.0.1:${mcpPort}`;
const resource = `${origin}/mcp`;
const docsApiUrl = `${origin}/docs-api/`;

// This MCP server's own client: the actor of its on-behalf-of tokens, and the only client that may exchange
// the tokens MCP clients send it.
const agent = defaultSeed.clients[0]!;
const dev = await startDevServer({
  port: devPort,
  resourceServers: [
    {
      resource,
      scopes: ['calendar:read', 'calendar:write', 'docs:read'],
      name: 'AgentGate example MCP server',
      clientId: agent.clientId,
    },
    { resource: docsApiUrl, scopes: ['docs:read'], name: 'Acme docs API' },
  ],
});

const gate = createGate({
  audit: jsonlAudit(process.env.AUDIT_FILE ?? 'audit.jsonl'),
  agent: { id: 'mcp-server' },
});
const fga = createFgaAuthorizer({
  apiUrl: dev.fga.apiUrl,
  storeId: dev.fga.storeId,
  authorizationModelId: dev.fga.authorizationModelId,
});
const docsApi = createOnBehalfOf({
  issuer: dev.issuer,
  clientId: agent.clientId,
  clientSecret: agent.clientSecret,
  audience: docsApiUrl,
  allowInsecureRequests: true, // http://127.0.0.1 only
});

const mcp = protectMcpServer(() => createToolServer(docsApiUrl), {
  gate,
  verifier: createAccessTokenVerifier({ issuer: dev.issuer, audience: resource }),
  resource,
  authorizationServers: [dev.issuer],
  resourceName: 'AgentGate example MCP server',
  tools: {
    list_events: { scopes: ['calendar:read'] },
    create_event: { scopes: ['calendar:write'], risk: 'medium' },
    read_document: {
      scopes: ['docs:read'],
      guards: [
        fga.guard<{ id: string }>({ relation: 'viewer', object: (args) => `doc:${args.id}` }),
        docsApi.guard({ scopes: ['docs:read'] }),
      ],
    },
  },
});
const serveDocsApi = createDocsApi(createAccessTokenVerifier({ issuer: dev.issuer, audience: docsApiUrl }));

const server = createServer(
  toNodeListener((request) =>
    new URL(request.url).pathname.startsWith('/docs-api/') ? serveDocsApi(request) : mcp.fetch(request),
  ),
);
await new Promise<void>((resolve) => server.listen(mcpPort, '127.0.0.1', resolve));

console.log(`authorization server  ${dev.issuer}`);
console.log(`MCP server            ${resource}`);
console.log(`resource metadata     ${mcp.resourceMetadataUrl}`);
console.log('sign in as            alice@acme / alice-password  (or bob@acme / bob-password)');

const shutdown = async () => {
  await mcp.close();
  server.close();
  await dev.close();
  await gate.close();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
