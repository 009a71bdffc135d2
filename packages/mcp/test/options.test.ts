import { createGate, defineGuard } from '@agentgate/core';
import { createAccessTokenVerifier } from '@agentgate/identity';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { type ProtectMcpServerOptions, protectedResourceMetadataUrl, protectMcpServer } from '../src/index';

const resource = 'http://127.0.0.1:1/mcp';
const base = (): ProtectMcpServerOptions => ({
  gate: createGate({ audit: false }),
  verifier: createAccessTokenVerifier({ issuer: 'http://127.0.0.1:2/', audience: resource }),
  resource,
  authorizationServers: ['http://127.0.0.1:2/'],
  tools: { echo: {} },
});
const serverWith =
  (...names: string[]) =>
  () => {
    const server = new McpServer({ name: 'options', version: '1.0.0' });
    for (const name of names) server.registerTool(name, {}, () => ({ content: [] }));
    return server;
  };

describe('protectMcpServer options', () => {
  it('refuses a registered tool without an entry, and an entry without a tool', () => {
    expect(() => protectMcpServer(serverWith('echo', 'delete_everything'), base())).toThrow(
      /'delete_everything' is registered but has no entry/,
    );
    expect(() => protectMcpServer(serverWith(), base())).toThrow(/names 'echo', which is not registered/);
  });

  it('refuses a high-risk tool whose guards do not satisfy the risk policy', () => {
    expect(() =>
      protectMcpServer(serverWith('echo'), { ...base(), tools: { echo: { risk: 'high' } } }),
    ).toThrow(TypeError);
    const approval = defineGuard({ name: 'approval', kind: 'approval', check() {} });
    expect(() =>
      protectMcpServer(serverWith('echo'), {
        ...base(),
        tools: { echo: { risk: 'high', guards: [approval] } },
      }),
    ).not.toThrow();
  });

  it.each([
    ['an unknown option', { audience: resource }],
    ['a resource with a fragment', { resource: `${resource}#x` }],
    ['no authorization servers', { authorizationServers: [] }],
    ['a malformed risk', { tools: { echo: { risk: 'extreme' } } }],
    ['an unknown tool option', { tools: { echo: { scope: ['a'] } } }],
  ])('refuses %s at creation', (_what, patch) => {
    expect(() =>
      protectMcpServer(serverWith('echo'), { ...base(), ...patch } as ProtectMcpServerOptions),
    ).toThrow(TypeError);
  });

  it.each([
    ['no record', undefined],
    ['a Map', new Map([['echo', { enabled: true, handler: () => ({ content: [] }) }]])],
    ['entries of another shape', { echo: { callback: () => ({ content: [] }) } }],
  ])('fails closed when the SDK keeps its tools as %s', (_what, kept) => {
    const changed = () => {
      const server = serverWith('echo')();
      (server as unknown as { _registeredTools: unknown })._registeredTools = kept;
      return server;
    };
    expect(() => protectMcpServer(changed, base())).toThrow(/keeps no _registeredTools record/);
    expect(() => protectMcpServer(changed, { ...base(), tools: {} })).toThrow(
      /keeps no _registeredTools record/,
    );
  });

  it('places the RFC 9728 metadata URL before the resource path', () => {
    expect(protectedResourceMetadataUrl('https://mcp.example/mcp')).toBe(
      'https://mcp.example/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataUrl('https://mcp.example/')).toBe(
      'https://mcp.example/.well-known/oauth-protected-resource',
    );
  });
});
