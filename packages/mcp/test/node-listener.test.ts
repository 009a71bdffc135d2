import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeListener } from '../src/index';
import { type McpFixture, startMcpFixture } from './support/mcp-fixture';

let fixture: McpFixture;
let base: string;
const server = createServer();

beforeAll(async () => {
  fixture = await startMcpFixture();
  server.on(
    'request',
    toNodeListener((request) => fixture.mcp.fetch(request)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fixture?.close();
});

describe('toNodeListener', () => {
  it('serves the metadata and the challenges of a protected MCP server on node:http', async () => {
    const metadata = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({ resource: fixture.resource });

    const token = (
      await fixture.dev.login('alice@acme', { resource: fixture.resource, scope: 'openid calendar:read' })
    ).access_token;
    const initialize = await fetch(`${base}/mcp`, {
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
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });
    expect(initialize.status).toBe(200);
    expect(initialize.headers.get('mcp-session-id')).toEqual(expect.any(String));
    expect(await initialize.json()).toMatchObject({
      id: 1,
      result: { serverInfo: { name: 'agentgate-test' } },
    });

    const refused = await fetch(`${base}/mcp`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('resource_metadata=');
  });
});
