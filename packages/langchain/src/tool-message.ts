import {
  type AnyGateDenied,
  type AnyGateDeniedJSON,
  type AnyGateInterrupt,
  type AnyGateInterruptJSON,
  isGateDenied,
  isGateInterrupt,
} from '@agentgate/core';

/** What a denied or interrupted call leaves as its tool message: core's JSON form under one key. */
export interface AgentGateToolContent {
  agentgate: AnyGateDeniedJSON | AnyGateInterruptJSON;
}

/** The tool-message text of a decision: `{"agentgate":{"kind","code","message","details"}}` (core's `toJSON()`). */
export function toToolContent(decision: AnyGateDenied | AnyGateInterrupt): string {
  return JSON.stringify({ agentgate: decision.toJSON() });
}

/**
 * Whether a tool message (a `ToolMessage`, its content string, or the parsed object) is what a denied or interrupted
 * call leaves. Read it with {@link readAgentGateToolMessage}.
 *
 * @example
 * const blocked = result.messages.filter(isAgentGateToolMessage);
 */
export function isAgentGateToolMessage(value: unknown): boolean {
  return readAgentGateToolMessage(value) !== undefined;
}

/**
 * The decision a tool message carries (core's JSON form: narrow on `kind` and `code`), or `undefined` for any other
 * message.
 *
 * @example
 * const decision = readAgentGateToolMessage(result.messages.at(-2));
 * if (decision?.code === 'CONNECTION_REQUIRED') showConnect(decision.details.connectUrl);
 */
export function readAgentGateToolMessage(
  value: unknown,
): AnyGateDeniedJSON | AnyGateInterruptJSON | undefined {
  const inner = (parse(value) as { agentgate?: unknown } | undefined)?.agentgate;
  if (isGateInterrupt(inner)) return inner as AnyGateInterruptJSON;
  if (isGateDenied(inner)) return inner as AnyGateDeniedJSON;
  return undefined;
}

function parse(value: unknown): unknown {
  if (typeof value === 'string') return parseJson(value);
  if (typeof value !== 'object' || value === null) return undefined;
  if ('agentgate' in value) return value;
  const content = (value as { content?: unknown }).content;
  return typeof content === 'string' ? parseJson(content) : undefined;
}

function parseJson(text: string): unknown {
  if (!text.startsWith('{"agentgate"')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
