import { randomUUID } from 'node:crypto';
import {
  type AnyGateDenied,
  type AnyGateInterrupt,
  type GateErrorJSON,
  isGateDenied,
  isGateInterrupt,
  type SessionView,
} from '@agentgate/core';
import { type CallToolResult, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';

/** Key of the `_meta` entry carrying the denial or interrupt as JSON (`{ kind, code, message, details }`). */
export const GATE_ERROR_META_KEY = 'agentgate/error';

/** Where the user re-authenticates for a step-up: a URL the MCP client can open, or undefined for none. */
export type StepUpUrl = (input: {
  tool: string;
  session: SessionView;
  authorizationParams: Readonly<Record<string, string>>;
}) => string | undefined;

/** What decides how an AgentGate decision reaches the MCP client. */
export interface GateErrorResultOptions {
  tool: string;
  session: SessionView;
  /** The client declared URL-mode elicitation (`capabilities.elicitation.url`). */
  urlElicitation: boolean;
  stepUpUrl?: StepUpUrl;
}

function errorResult(text: string, json: GateErrorJSON): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true, _meta: { [GATE_ERROR_META_KEY]: json } };
}

/** A link the user must open: URL-mode elicitation when the client supports it, else a tool error naming it. */
function linkResult(
  url: string | undefined,
  message: string,
  interrupt: AnyGateInterrupt,
  options: GateErrorResultOptions,
): CallToolResult {
  if (url !== undefined && options.urlElicitation) {
    throw new UrlElicitationRequiredError(
      [{ mode: 'url', elicitationId: randomUUID(), url, message }],
      `${interrupt.code}: ${message}`,
    );
  }
  const text = url === undefined ? message : `${message} Open ${url}, then call '${options.tool}' again.`;
  return errorResult(`${interrupt.code}: ${text}`, interrupt.toJSON());
}

function interruptResult(interrupt: AnyGateInterrupt, options: GateErrorResultOptions): CallToolResult {
  switch (interrupt.code) {
    case 'CONNECTION_REQUIRED':
      return linkResult(
        interrupt.details.connectUrl,
        `'${options.tool}' needs your '${interrupt.details.connection}' account connected.`,
        interrupt,
        options,
      );
    case 'STEP_UP_REQUIRED':
      return linkResult(
        options.stepUpUrl?.({
          tool: options.tool,
          session: options.session,
          authorizationParams: interrupt.details.authorizationParams,
        }),
        `'${options.tool}' needs a fresh sign-in (${Object.entries(interrupt.details.authorizationParams)
          .map(([name, value]) => `${name}=${value}`)
          .join(', ')}).`,
        interrupt,
        options,
      );
    case 'APPROVAL_PENDING': {
      const id = interrupt.details.approvalId;
      return errorResult(
        `APPROVAL_PENDING: approval ${id ?? '(no id)'} for '${options.tool}' is waiting for the user. ` +
          `Once approved, call '${options.tool}' again with the same arguments to resume it.`,
        interrupt.toJSON(),
      );
    }
    default:
      return errorResult(`${interrupt.code}: ${interrupt.message}`, interrupt.toJSON());
  }
}

/**
 * Turns an AgentGate denial or interrupt into what an MCP client understands: a tool error result (with the
 * decision as JSON in `_meta['agentgate/error']`), or for connect-an-account and step-up a URL-mode elicitation
 * (`UrlElicitationRequiredError`, JSON-RPC error -32042) when the client supports it. Returns undefined for any
 * other error.
 *
 * @throws UrlElicitationRequiredError for a link the client can open (URL-mode elicitation)
 * @example
 * const result = gateErrorResult(error, { tool: 'list_events', session, urlElicitation: true });
 */
export function gateErrorResult(error: unknown, options: GateErrorResultOptions): CallToolResult | undefined {
  if (isGateInterrupt(error) && error instanceof Error) {
    return interruptResult(error as AnyGateInterrupt, options);
  }
  if (isGateDenied(error) && error instanceof Error) {
    const denied = error as AnyGateDenied;
    return errorResult(`${denied.code}: ${denied.message}`, denied.toJSON());
  }
  return undefined;
}
