import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';

/**
 * The tools registered on an `McpServer`, by name. The SDK keeps them in a field it does not export
 * (`_registeredTools`, stable across 1.x); reading it here, in one place, lets AgentGate wrap each tool's
 * handler and trim the tool list without re-implementing the SDK's validation or JSON Schema output.
 *
 * @throws TypeError when the installed SDK keeps its tools elsewhere (an unsupported version)
 */
export function registeredTools(server: McpServer): Readonly<Record<string, RegisteredTool>> {
  const tools = (server as unknown as { _registeredTools?: unknown })._registeredTools;
  if (typeof tools !== 'object' || tools === null) {
    throw new TypeError(
      'protectMcpServer: this version of @modelcontextprotocol/sdk keeps no _registeredTools on McpServer; use 1.x (>= 1.32)',
    );
  }
  return tools as Record<string, RegisteredTool>;
}
