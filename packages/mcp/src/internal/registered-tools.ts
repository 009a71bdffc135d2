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

function refuseLateTool(name: string | symbol): never {
  throw new TypeError(
    `protectMcpServer: tool '${String(name)}' was registered after protectMcpServer guarded this server; ` +
      'it has no policy and is never served (register every tool in createServer and name it in options.tools)',
  );
}

/**
 * Closes the server's tool record to new entries, once its tools are guarded: every way the SDK adds a tool
 * (`registerTool`, `tool`, `experimental.tasks.registerToolTask`, a rename with `update({ name })`) writes into
 * `_registeredTools`, and that write now throws a `TypeError` before the SDK serves or lists the tool. Renaming a
 * guarded tool (`update({ name })`) throws before anything changes; removing one still works. Returns the closed
 * record (the one the SDK reads from now on).
 *
 * @throws TypeError when the SDK's record cannot be replaced (an unsupported version)
 */
export function sealRegisteredTools(server: McpServer): Readonly<Record<string, RegisteredTool>> {
  const tools = registeredTools(server) as Record<string, RegisteredTool>;
  // A rename is refused before the SDK touches the record: it deletes the old name before it writes the new one, so
  // a refusal at the write would leave the tool removed and the rest of the update unapplied.
  for (const [name, tool] of Object.entries(tools)) {
    const update = tool.update;
    tool.update = (updates) => {
      if (typeof updates?.name === 'string' && updates.name !== name) refuseLateTool(updates.name);
      return update.call(tool, updates);
    };
  }
  const sealed = new Proxy(tools, {
    set: (_target, name) => refuseLateTool(name),
    defineProperty: (_target, name) => refuseLateTool(name),
    setPrototypeOf: () => false,
  });
  Object.defineProperty(server, '_registeredTools', {
    value: sealed,
    writable: false,
    configurable: false,
    enumerable: true,
  });
  return sealed;
}
