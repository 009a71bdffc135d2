import { createGate, createSession, runWithSession } from '@agentgate/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { guardToolHandler } from '../src/internal/guarded-handler';

describe('guardToolHandler', () => {
  it('guards a callback set later with tool.update as it guards the first one', async () => {
    const server = new McpServer({ name: 'guarded', version: '1.0.0' });
    const ran: string[] = [];
    const tool = server.registerTool('echo', {}, () => {
      ran.push('first');
      return { content: [] };
    });
    guardToolHandler(tool, {
      name: 'echo',
      gate: createGate({ audit: false }),
      policy: { guards: [], risk: 'low' },
      urlElicitation: () => false,
    });
    tool.update({
      callback: () => {
        ran.push('replaced');
        return { content: [] };
      },
    });
    // No verified session reached the call: the gate denies it, whichever callback is in place.
    const call = tool.handler as unknown as (
      extra: object,
    ) => Promise<{ isError?: boolean; content: unknown }>;
    const result = await call({ signal: new AbortController().signal, requestId: 1 });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('NO_SESSION');
    expect(ran).toEqual([]);
  });

  it('never runs a call without a verified token for the session runWithSession holds', async () => {
    const server = new McpServer({ name: 'guarded', version: '1.0.0' });
    const ran: string[] = [];
    const tool = server.registerTool('echo', {}, () => {
      ran.push('ran');
      return { content: [] };
    });
    guardToolHandler(tool, {
      name: 'echo',
      gate: createGate({ audit: false }),
      policy: { guards: [], risk: 'low' },
      urlElicitation: () => false,
    });
    const call = tool.handler as unknown as (
      extra: object,
    ) => Promise<{ isError?: boolean; content: unknown }>;
    const result = await runWithSession(createSession({ sub: 'ambient' }), () =>
      call({ signal: new AbortController().signal, requestId: 2 }),
    );
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('NO_SESSION');
    expect(ran).toEqual([]);
  });
});
