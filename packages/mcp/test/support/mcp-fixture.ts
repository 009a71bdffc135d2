import type { AddressInfo } from 'node:net';
import {
  createGate,
  currentCall,
  defineGuard,
  GateInterrupt,
  type MemoryAuditSink,
  memoryAudit,
} from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { createAccessTokenVerifier, requireFreshAuth } from '@agentgate/identity';
import { serve } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Hono } from 'hono';
import { z } from 'zod';
import { type ProtectedMcpServer, protectMcpServer } from '../../src/index';

export const MCP_SCOPES = ['calendar:read', 'calendar:write', 'docs:read'];

export interface McpFixture {
  dev: DevServer;
  /** The MCP endpoint: the resource indicator tokens must be issued for. */
  resource: string;
  mcp: ProtectedMcpServer;
  audit: MemoryAuditSink;
  connectUrl: string;
  close(): Promise<void>;
}

/** What `whoami` last received as the SDK's `extra` (to prove no credential reaches a tool). */
export const seenByTools: { extra?: unknown } = {};

/** Every McpServer the fixture built (the probe, then one per MCP session), newest last. */
export const builtServers: McpServer[] = [];

/** Calendar and document tools, as an application registers them on an McpServer. */
function buildServer(): McpServer {
  const server = new McpServer({ name: 'agentgate-test', version: '1.0.0' });
  builtServers.push(server);
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  server.registerTool('whoami', { description: 'Who the tool acts for' }, (extra) => {
    seenByTools.extra = extra;
    const call = currentCall();
    return text(`${call?.session.user.sub} via ${call?.session.agent?.clientId}`);
  });
  server.registerTool(
    'list_events',
    {
      description: 'Lists calendar events of a day',
      inputSchema: { day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) },
    },
    ({ day }) => text(`events on ${day} for ${currentCall()?.session.user.sub}`),
  );
  server.registerTool(
    'create_event',
    { description: 'Creates a calendar event', inputSchema: { title: z.string() } },
    ({ title }) => text(`created ${title}`),
  );
  server.registerTool('admin_report', { description: 'Admins only' }, () => text('report'));
  server.registerTool('sync_external_calendar', { description: 'Needs the Acme Calendar account' }, () =>
    text('synced'),
  );
  server.registerTool('approve_budget', { description: 'Needs a second factor' }, () => text('approved'));
  server.registerTool(
    'delete_all_events',
    { description: 'High risk: needs an approval', inputSchema: { day: z.string() } },
    ({ day }) => text(`deleted ${day}`),
  );
  return server;
}

/** Starts the dev server (the MCP authorization server) and a protected MCP server on Hono. */
export async function startMcpFixture(): Promise<McpFixture> {
  const dev = await startDevServer({ fga: false });
  let handler: (request: Request) => Promise<Response> = async () =>
    new Response('starting', { status: 503 });
  // Hono in front, as an application would mount it.
  const app = new Hono();
  app.all('*', (context) => handler(context.req.raw));
  const http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) =>
    http.listening ? resolve() : http.once('listening', () => resolve()),
  );
  const resource = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  dev.addResourceServer({ resource, scopes: MCP_SCOPES, name: 'Test MCP server' });

  const audit = memoryAudit();
  const gate = createGate({ audit });
  const connectUrl = dev.url('/connections/acme-calendar/connect');
  const needsCalendarAccount = defineGuard({
    name: 'acme-calendar',
    kind: 'vault',
    check() {
      throw new GateInterrupt('CONNECTION_REQUIRED', "connect 'acme-calendar' first", {
        details: { connection: 'acme-calendar', requiredScopes: ['events.read'], connectUrl },
      });
    },
  });
  const pendingApproval = defineGuard({
    name: 'approval',
    kind: 'approval',
    check({ argsDigest }) {
      throw new GateInterrupt('APPROVAL_PENDING', 'waiting for the user', {
        details: { approvalId: `appr-${argsDigest.slice(7, 15)}` },
      });
    },
  });
  const mcp = protectMcpServer(buildServer, {
    gate,
    verifier: createAccessTokenVerifier({ issuer: dev.issuer, audience: resource }),
    resource,
    authorizationServers: [dev.issuer],
    resourceName: 'Test MCP server',
    tools: {
      whoami: {},
      list_events: { scopes: ['calendar:read'] },
      create_event: { scopes: ['calendar:write'], risk: 'medium' },
      admin_report: { visible: ({ session }) => session.roles.includes('admin') },
      sync_external_calendar: { scopes: ['calendar:read'], guards: [needsCalendarAccount] },
      delete_all_events: { scopes: ['calendar:write'], risk: 'high', guards: [pendingApproval] },
      approve_budget: { guards: [requireFreshAuth({ maxAgeSeconds: 600, acr: 'urn:agentgate:loa:2' })] },
    },
    stepUpUrl: ({ authorizationParams }) =>
      `${new URL(resource).origin}/step-up?${new URLSearchParams(authorizationParams).toString()}`,
  });
  handler = (request) => mcp.fetch(request);

  return {
    dev,
    resource,
    mcp,
    audit,
    connectUrl,
    async close() {
      await mcp.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await dev.close();
    },
  };
}
