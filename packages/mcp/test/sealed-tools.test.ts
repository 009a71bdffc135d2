import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sealRegisteredTools } from '../src/internal/registered-tools';

describe('the sealed tool record', () => {
  it('a refused rename (update({ name })) leaves the guarded tool registered, not half-applied', () => {
    const server = new McpServer({ name: 'shop', version: '1.0.0' });
    const refund = server.registerTool('refund', { inputSchema: { orderId: z.string() } }, async () => ({
      content: [{ type: 'text', text: 'ok' }],
    }));
    const sealed = sealRegisteredTools(server);
    expect(() => refund.update({ name: 'refund-v2', description: 'changed' })).toThrow(TypeError);
    // Refused before the SDK deleted the old name: the tool stays, and nothing else of the update was applied.
    expect(Object.keys(sealed)).toEqual(['refund']);
    expect(sealed.refund?.description).toBeUndefined();
    // Other updates and removal still work.
    refund.update({ description: 'Refund an order' });
    expect(sealed.refund?.description).toBe('Refund an order');
    refund.disable();
    expect(sealed.refund?.enabled).toBe(false);
    refund.remove();
    expect(Object.keys(sealed)).toEqual([]);
  });
});
