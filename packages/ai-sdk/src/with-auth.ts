import {
  type AgentSession,
  assertKnownOptions,
  type Gate,
  type GatedTool,
  type Guard,
  isAgentSession,
  isRisk,
  type Risk,
} from '@agentgate/core';
import type { Tool, ToolExecutionOptions } from 'ai';
import type { AgentGateToolResult } from './client';
import { approvedInChat } from './internal/chat-messages';
import { outputOrDecisionSchema } from './internal/output-schema';
import { precheckGuards } from './internal/precheck';
import { bridgeInputOf, type ChatApprovalBridge, chatApprovals, gatedTools } from './internal/registry';
import { argumentsSchema, sessionAwareContextSchema, withoutSession } from './internal/schemas';
import { type SessionContext, sessionForCall } from './session-context';
import { toAgentGateResult } from './tool-result';

/** Options of `auth.withAuth()`: how the gate names the tool and how risky it is. */
export interface WithAuthOptions {
  /** The tool's name in audit events and approvals: use its key in the `tools` object. */
  name: string;
  /** @default 'low' */
  risk?: Risk;
}

/** Whether a tool declares no context of its own (the AI SDK's own test: any, unknown, `{}` or a plain record). */
type IsUntypedContext<Context> = 0 extends 1 & Context
  ? true
  : unknown extends Context
    ? true
    : [keyof Context] extends [never]
      ? true
      : string extends keyof Context
        ? true
        : false;

/**
 * A gated tool's context: its own context plus the session key. A tool without context of its own takes an optional
 * entry (the session may come from `runWithSession` instead).
 */
type GatedContext<Context> =
  IsUntypedContext<Context> extends true ? SessionContext | undefined : Context & SessionContext;

/** A tool as `withAuth` returns it: the same tool whose output may be an AgentGate denial or interrupt instead. */
export type AuthorizedTool<T> =
  T extends Tool<infer Input, infer Output, infer Context>
    ? Tool<Input, Output | AgentGateToolResult, GatedContext<Context>>
    : never;

const WITH_AUTH_OPTIONS = ['name', 'risk'] as const;

/** @internal `auth.withAuth()`: the tool with its `execute` behind the gate. */
export function gateTool<T extends Tool>(
  gate: Gate,
  tool: T,
  toolOptions: WithAuthOptions,
  guards: readonly Guard<never>[],
): AuthorizedTool<T> {
  if (
    typeof toolOptions !== 'object' ||
    toolOptions === null ||
    typeof toolOptions.name !== 'string' ||
    toolOptions.name.length === 0
  ) {
    throw new TypeError(
      "withAuth: the second argument must be { name, risk? } (name: the tool's key in `tools`)",
    );
  }
  assertKnownOptions('withAuth', toolOptions, WITH_AUTH_OPTIONS);
  const { name, risk } = toolOptions;
  if (risk !== undefined && !isRisk(risk))
    throw new TypeError(`withAuth(${name}): risk must be 'low', 'medium' or 'high'`);
  const execute = (tool as { execute?: unknown }).execute;
  if (typeof execute !== 'function') {
    throw new TypeError(
      `withAuth(${name}): the tool has no execute(); a tool the client or provider runs cannot be gated`,
    );
  }
  const gated: GatedTool = {
    name,
    ...(risk === undefined ? {} : { risk }),
    ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
    schema: argumentsSchema(tool.inputSchema),
  };
  const frozenGuards = Object.freeze([...guards]) as readonly Guard[];
  // The risk policy and the guards' shapes are checked now: a high-risk tool without its approval cannot be built.
  gate.protect(gated, frozenGuards, () => undefined);
  const approvalIndex = frozenGuards.findIndex((guard) => chatApprovals.has(guard));
  const bridge = approvalIndex < 0 ? undefined : chatApprovals.get(frozenGuards[approvalIndex] as Guard);
  const precheck = approvalIndex < 0 ? [] : precheckGuards(frozenGuards, approvalIndex);

  const run = async (input: unknown, callOptions: ToolExecutionOptions<unknown>): Promise<unknown> => {
    const session = sessionForCall(callOptions.context);
    if (bridge && isAgentSession(session) && approvedInChat(callOptions.messages, callOptions.toolCallId)) {
      try {
        await recordChatApproval(bridge, gated, session, input, callOptions.toolCallId);
      } catch {
        // Not recorded (arguments that cannot be digested, a store that failed): the approval guard finds no
        // decision and the call does not run.
      }
    }
    const ownOptions = { ...callOptions, context: withoutSession(callOptions.context) };
    try {
      return await gate.run(
        {
          tool: gated,
          args: input,
          callId: callOptions.toolCallId,
          ...(callOptions.abortSignal === undefined ? {} : { signal: callOptions.abortSignal }),
        },
        session,
        frozenGuards,
        (args) => (execute as (args: unknown, options: unknown) => unknown)(args, ownOptions),
      );
    } catch (error) {
      const result = toAgentGateResult(error);
      if (result) return result;
      throw error;
    }
  };

  const wrapped = {
    ...tool,
    ...hooksWithoutSession(tool),
    contextSchema: sessionAwareContextSchema(tool.contextSchema),
    // A denial or an interrupt is the tool's output too: stored UI messages that hold one validate again.
    ...(tool.outputSchema === undefined ? {} : { outputSchema: outputOrDecisionSchema(tool.outputSchema) }),
    execute: run,
  };
  gatedTools.set(wrapped, { gate, tool: gated, guards: frozenGuards, bridge, precheck });
  return wrapped as unknown as AuthorizedTool<T>;
}

/** The chat said yes: decide the in-app approval requested for exactly these (validated) arguments. */
async function recordChatApproval(
  bridge: ChatApprovalBridge,
  tool: GatedTool,
  session: AgentSession,
  input: unknown,
  callId: string,
): Promise<void> {
  const request = await bridgeInputOf(tool, session, input, callId);
  if (request) await bridge.approve(request); // arguments the schema refuses: the gate refuses them on record
}

/** The tool's own hooks, handed its own context (never the session, whose token no tool may see). */
function hooksWithoutSession(tool: Tool): Partial<Tool> {
  const hooks: Record<string, unknown> = {};
  const source = tool as Record<string, unknown>;
  for (const key of ['onInputStart', 'onInputDelta', 'onInputAvailable'] as const) {
    const hook = source[key];
    if (typeof hook !== 'function') continue;
    hooks[key] = (options: { context?: unknown }) =>
      hook({ ...options, context: withoutSession(options.context) });
  }
  if (typeof source.description === 'function') {
    const describe = source.description as (options: { context?: unknown }) => string;
    hooks.description = (options: { context?: unknown }) =>
      describe({ ...options, context: withoutSession(options.context) });
  }
  return hooks as Partial<Tool>;
}
