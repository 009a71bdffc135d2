import type { AgentSession, Gate, Guard, Risk } from '@agentgate/core';
import { toSessionView } from '@agentgate/core';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { gateErrorResult, type StepUpUrl } from '../gate-error-result';

/** The verified session of each request, keyed by the `AuthInfo` object handed to the transport. */
export const sessionOfRequest = new WeakMap<AuthInfo, AgentSession>();

/** What the gate is given for a call that carries no verified token: no session, so it is refused on record. */
const NO_REQUEST_SESSION = Object.freeze({}) as AgentSession;

export interface GuardedHandlerOptions {
  name: string;
  gate: Gate;
  policy: { guards: readonly Guard[]; risk: Risk };
  urlElicitation: () => boolean;
  stepUpUrl?: StepUpUrl;
}

type Extra = {
  authInfo?: AuthInfo;
  requestId?: unknown;
  signal?: AbortSignal;
  requestInfo?: { headers?: Record<string, unknown> } & Record<string, unknown>;
} & Record<string, unknown>;

/** Request headers that carry credentials: the SDK copies every header into `extra.requestInfo`. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** The SDK's `extra` without the credentials of the request: no `authInfo`, no credential headers. */
function withoutCredentials(extra: Extra): Record<string, unknown> {
  const { authInfo: _token, requestInfo, ...rest } = extra;
  if (requestInfo === undefined) return rest;
  const headers = Object.fromEntries(
    Object.entries(requestInfo.headers ?? {}).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
  return { ...rest, requestInfo: { ...requestInfo, headers } };
}
type Handler = (...parameters: unknown[]) => CallToolResult | Promise<CallToolResult>;

/**
 * Replaces a registered tool's handler with one that runs the original through `gate.run`: the session comes
 * from the verified bearer token of this request (never from arguments), the arguments the SDK validated are
 * snapshotted, digested and guarded, and the original handler gets exactly that snapshot. Decisions become MCP
 * results (`gateErrorResult`); the handler's `extra` loses `authInfo` and the request's credential headers, so
 * no tool sees the bearer token.
 */
export function guardToolHandler(tool: RegisteredTool, options: GuardedHandlerOptions): void {
  let guarded = guard(tool, tool.handler, options);
  // `tool.update({ callback })` sets `handler` again: the new callback is guarded the same way.
  Object.defineProperty(tool, 'handler', {
    enumerable: true,
    get: () => guarded,
    set: (next: unknown) => {
      guarded = guard(tool, next, options);
    },
  });
}

function guard(
  tool: RegisteredTool,
  handler: unknown,
  options: GuardedHandlerOptions,
): RegisteredTool['handler'] {
  const original = handler as Handler;
  if (typeof original !== 'function') {
    throw new TypeError(
      `protectMcpServer: tool '${options.name}' is a task tool; only plain tools can be protected`,
    );
  }
  const guarded: Handler = async (...parameters) => {
    const takesArguments = tool.inputSchema !== undefined;
    const extra = (parameters[takesArguments ? 1 : 0] ?? {}) as Extra;
    const args = takesArguments ? parameters[0] : {};
    // Only the session of this request's verified token: a call without one is refused NO_SESSION, never run for a
    // session some other scope (runWithSession) holds.
    const session = extra.authInfo ? sessionOfRequest.get(extra.authInfo) : undefined;
    const toolExtra = withoutCredentials(extra);
    try {
      return await options.gate.run(
        {
          tool: {
            name: options.name,
            risk: options.policy.risk,
            ...(tool.description ? { description: tool.description } : {}),
          },
          args,
          ...(extra.requestId === undefined ? {} : { callId: `mcp-${String(extra.requestId)}` }),
          ...(extra.signal ? { signal: extra.signal } : {}),
        },
        // No session (a request that bypassed the transport's auth) is denied NO_SESSION by the gate.
        session ?? NO_REQUEST_SESSION,
        options.policy.guards,
        (snapshot) => (takesArguments ? original(snapshot, toolExtra) : original(toolExtra)),
      );
    } catch (error) {
      const result = gateErrorResult(error, {
        tool: options.name,
        session: session
          ? toSessionView(session)
          : { id: '', user: { sub: '', iss: '' }, roles: [], scopes: [], mode: 'interactive' },
        urlElicitation: options.urlElicitation(),
        ...(options.stepUpUrl ? { stepUpUrl: options.stepUpUrl } : {}),
      });
      if (result) return result;
      throw error;
    }
  };
  return guarded as unknown as RegisteredTool['handler'];
}
