import { assertKnownOptions, type Guard, isRisk, type Risk } from '@agentgate/core';
import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { ToolMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { DynamicStructuredTool, DynamicTool, type StructuredTool, Tool } from '@langchain/core/tools';
import { runGatedCall } from './internal/gated-call';
import { sessionOfRun } from './session';
import { toToolContent } from './tool-message';
import type { InterruptMode, LangChainAuthOptions } from './types';

/** Per-tool options of `withAuth`, given before the guards. */
export interface WithAuthOptions {
  /** How risky the tool is; the gate's risk policy then requires guards of some kinds (`high`: an approval). */
  risk?: Risk;
}

/** The protected tool: the same class family as the tool given (`DynamicTool` for a string tool). */
export type AuthorizedTool<T> =
  T extends DynamicTool<infer Output, infer Event>
    ? DynamicTool<Output, Event>
    : T extends DynamicStructuredTool<infer S, infer SO, infer SI, infer O, infer E, infer N>
      ? DynamicStructuredTool<S, SO, SI, O, E, N>
      : T extends StructuredTool<infer S, infer SO, infer SI, infer O, infer E>
        ? DynamicStructuredTool<S, SO, SI, O, E>
        : never;

/** Any LangChain tool `withAuth` protects: a `tool()` result, a `StructuredTool` or `DynamicStructuredTool`. */
// biome-ignore lint/suspicious/noExplicitAny: any schema and output types
export type AnyStructuredTool = StructuredTool<any, any, any, any, any>;

type Arguments = [options: WithAuthOptions, ...guards: Guard[]] | Guard[];

/** `withAuth(tool, ...guards)`, `withAuth(tool, options, ...guards)`, or curried: `withAuth(...guards)(tool)`. */
export interface WithAuth {
  <T extends AnyStructuredTool>(tool: T, ...rest: Arguments): AuthorizedTool<T>;
  (...rest: Arguments): <T extends AnyStructuredTool>(tool: T) => AuthorizedTool<T>;
}

/** The adapter bound to a gate: `withAuth` for each tool. */
export interface LangChainAuth {
  /**
   * Protects a LangChain tool: the same name, description, schema, `responseFormat`, metadata, tags and
   * `returnDirect`; each call goes through `gate.run` with these guards, for the session of the run (never the input).
   * A denial — and an interrupt outside LangGraph — is the tool's result: JSON `{ agentgate: { kind, code, message,
   * details } }`, a `ToolMessage` with `status: 'error'` when called with a tool call.
   *
   * @example
   * const listEvents = auth.withAuth(listEventsTool, requireScopes('calendar:read'), vault.guard({ connection, scopes }));
   * const refund = auth.withAuth(refundTool, { risk: 'high' }, approvals.guard({ channel: 'in-app', mode: 'interrupt', details, bindingMessage }));
   * @throws TypeError for a value that is not a LangChain tool, malformed guards or options, or guards the gate's risk policy does not accept for `risk`
   */
  withAuth: WithAuth;
}

const OPTIONS = ['gate', 'approvals', 'interrupts'] as const;
const INTERRUPT_MODES: readonly InterruptMode[] = ['auto', 'langgraph', 'tool-message'];

/**
 * Binds the LangChain adapter to a gate (and the approvals that in-app resumes decide).
 *
 * @example
 * const auth = createLangChainAuth({ gate, approvals });
 * const searchDocs = auth.withAuth(searchDocsTool, requireScopes('docs:read'));
 * @throws TypeError for a missing gate or an unknown or malformed option
 */
export function createLangChainAuth(options: LangChainAuthOptions): LangChainAuth {
  const { gate, approvals, interrupts } = readAuthOptions('createLangChainAuth', options, OPTIONS);
  function withAuth(...input: unknown[]): unknown {
    if (isTool(input[0])) return protect(input[0], input.slice(1));
    return (tool: unknown) => protect(tool, input);
  }
  function protect(tool: unknown, rest: unknown[]): AnyStructuredTool {
    if (!isTool(tool))
      throw new TypeError(
        'withAuth: expected a LangChain tool (tool(), StructuredTool, DynamicStructuredTool)',
      );
    const { risk, guards } = splitArguments(tool.name, rest);
    const descriptor = { name: tool.name, description: tool.description, ...(risk ? { risk } : {}) };
    gate.assertPolicy(descriptor, guards as Guard<never>[]);
    // LangChain validated the input with the tool's schema before `func` runs: the gate digests exactly that.
    const run = async (input: unknown, runManager?: CallbackManagerForToolRun, config?: RunnableConfig) => {
      const toolCall = (config as { toolCall?: { id?: string } } | undefined)?.toolCall;
      const outcome = await runGatedCall({
        gate,
        approvals,
        interrupts,
        call: {
          tool: descriptor,
          args: input,
          ...(toolCall?.id ? { callId: toolCall.id } : {}),
          ...(config?.signal ? { signal: config.signal } : {}),
        },
        session: () => sessionOfRun(config),
        guards,
        execute: (args) => runInner(tool, args, runManager, config),
        config,
      });
      if (outcome.ok) return outcome.value;
      const content = toToolContent(outcome.decision);
      const message = toolCall?.id
        ? new ToolMessage({ content, tool_call_id: toolCall.id, name: tool.name, status: 'error' })
        : content;
      return tool.responseFormat === 'content_and_artifact' ? [message, undefined] : message;
    };
    const fields = {
      name: tool.name,
      description: tool.description,
      responseFormat: tool.responseFormat,
      returnDirect: tool.returnDirect,
      verboseParsingErrors: tool.verboseParsingErrors,
      ...(tool.metadata ? { metadata: tool.metadata } : {}),
      ...(tool.tags ? { tags: tool.tags } : {}),
      ...(tool.extras ? { extras: tool.extras } : {}),
      ...(tool.defaultConfig ? { defaultConfig: tool.defaultConfig } : {}),
      // biome-ignore lint/suspicious/noExplicitAny: the tool's own output type is kept by AuthorizedTool
      func: run as any,
    };
    return tool instanceof Tool
      ? new DynamicTool(fields)
      : new DynamicStructuredTool({ ...fields, schema: tool.schema });
  }
  return { withAuth: withAuth as WithAuth };
}

/** The inner tool's body, as `StructuredTool.call` runs it after validation (a streamed body is consumed here). */
async function runInner(
  tool: AnyStructuredTool,
  args: unknown,
  runManager: CallbackManagerForToolRun | undefined,
  config: RunnableConfig | undefined,
): Promise<unknown> {
  type Body = (args: unknown, runManager?: CallbackManagerForToolRun, config?: RunnableConfig) => unknown;
  const raw = await (tool as unknown as { _call: Body })._call(args, runManager, config);
  if (!isAsyncGenerator(raw)) return raw;
  for (;;) {
    const step = await raw.next();
    if (step.done) return step.value;
    await (
      runManager as { handleToolEvent?: (chunk: unknown) => Promise<unknown> } | undefined
    )?.handleToolEvent?.(step.value);
  }
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncGenerator)[Symbol.asyncIterator] === 'function' &&
    typeof (value as AsyncGenerator).next === 'function'
  );
}

function isTool(value: unknown): value is AnyStructuredTool {
  const candidate = value as Partial<AnyStructuredTool> | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.invoke === 'function' &&
    typeof (candidate as { _call?: unknown })._call === 'function' &&
    'schema' in candidate
  );
}

function splitArguments(toolName: string, rest: unknown[]): { risk: Risk | undefined; guards: Guard[] } {
  const where = `withAuth(${toolName})`;
  let risk: Risk | undefined;
  let guards = rest;
  const first = rest[0];
  if (typeof first === 'object' && first !== null && typeof (first as Guard).check !== 'function') {
    assertKnownOptions(where, first, ['risk']);
    const declared = (first as WithAuthOptions).risk;
    if (declared !== undefined && !isRisk(declared))
      throw new TypeError(`${where}: risk must be 'low', 'medium' or 'high'`);
    risk = declared;
    guards = rest.slice(1);
  }
  for (const guard of guards) {
    const candidate = guard as Partial<Guard> | undefined;
    if (
      typeof candidate?.name !== 'string' ||
      typeof candidate.kind !== 'string' ||
      typeof candidate.check !== 'function'
    ) {
      throw new TypeError(
        `${where}: every guard needs name, kind and check() (options, when given, come first)`,
      );
    }
  }
  return { risk, guards: Object.freeze([...guards]) as Guard[] };
}

/** Checks the options shared by `createLangChainAuth` and `agentGateMiddleware`. */
export function readAuthOptions(
  where: string,
  options: LangChainAuthOptions,
  known: readonly string[],
): Required<Pick<LangChainAuthOptions, 'gate' | 'interrupts'>> & Pick<LangChainAuthOptions, 'approvals'> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${where}: options must be an object`);
  assertKnownOptions(where, options, known);
  const { gate, approvals, interrupts = 'auto' } = options;
  if (typeof gate?.run !== 'function' || typeof gate.assertPolicy !== 'function') {
    throw new TypeError(`${where}: options.gate must be a gate (createGate())`);
  }
  if (
    approvals !== undefined &&
    (typeof approvals?.decide !== 'function' || typeof approvals.get !== 'function')
  ) {
    throw new TypeError(`${where}: options.approvals must be createApprovals()'s result`);
  }
  if (!INTERRUPT_MODES.includes(interrupts)) {
    throw new TypeError(`${where}: options.interrupts must be 'auto', 'langgraph' or 'tool-message'`);
  }
  return { gate, interrupts, ...(approvals ? { approvals } : {}) };
}
