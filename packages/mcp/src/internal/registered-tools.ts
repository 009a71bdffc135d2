import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';

function isRegisteredTool(value: unknown): value is RegisteredTool {
  const tool = value as { handler?: unknown; enabled?: unknown } | null;
  return typeof tool === 'object' && tool !== null && typeof tool.enabled === 'boolean' && 'handler' in tool;
}

/**
 * The tools registered on an `McpServer`, by name. The SDK keeps them in a field it does not export
 * (`_registeredTools`, stable across 1.x); reading it here, in one place, lets AgentGate wrap each tool's
 * handler and trim the tool list without re-implementing the SDK's validation or JSON Schema output.
 *
 * @throws TypeError when the installed SDK keeps its tools elsewhere (an unsupported version)
 */
export function registeredTools(server: McpServer): Readonly<Record<string, RegisteredTool>> {
  const tools = (server as unknown as { _registeredTools?: unknown })._registeredTools;
  const prototype = typeof tools === 'object' && tools !== null ? Object.getPrototypeOf(tools) : undefined;
  // A Map, a class or entries of another shape would list no tools here while the SDK still serves them.
  if (
    (prototype !== Object.prototype && prototype !== null) ||
    !Object.values(tools as object).every(isRegisteredTool)
  ) {
    throw new TypeError(
      'protectMcpServer: this version of @modelcontextprotocol/sdk keeps no _registeredTools record of tools on McpServer; use 1.x (>= 1.32)',
    );
  }
  return tools as Record<string, RegisteredTool>;
}
