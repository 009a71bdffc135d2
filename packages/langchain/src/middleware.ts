import {
  assertKnownOptions,
  defineGuard,
  GateDenied,
  type GatedTool,
  type Guard,
  isAgentSession,
  isRisk,
  type Risk,
  type StandardSchemaV1,
} from '@agentgate/core';
import type { FgaAuthorizer } from '@agentgate/fga';
import { ToolMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { Tool } from '@langchain/core/tools';
import type { AgentMiddleware } from 'langchain';
import { runGatedCall } from './internal/gated-call';
import { sessionOfRun } from './session';
import { toToolContent } from './tool-message';
import type { LangChainAuthOptions } from './types';
import { readAuthOptions } from './with-auth';

/** The policy of one tool of the agent. */
export interface ToolPolicy {
  /** The guards its calls pass, in order (`[]` for a tool anyone with a session may call). */
  guards: readonly Guard[];
  /** How risky it is; the gate's risk policy then requires guards of some kinds (`high`: an approval). */
  risk?: Risk;
}

/** Which tools the model is shown: those the user has `relation` on, as FGA objects (`tool:<name>` by default). */
export interface AuthorizedToolsOption {
  fga: FgaAuthorizer;
  /** e.g. `'can_use'`. */
  relation: string;
  /** The FGA object of a tool, by name. @default name => `tool:${name}` */
  object?: (toolName: string) => string;
}

/** Options of {@link agentGateMiddleware}. */
export interface AgentGateMiddlewareOptions extends LangChainAuthOptions {
  /** Every tool the agent may call, by name. A call of any other tool is denied (`FORBIDDEN`) and audited. */
  tools: Readonly<Record<string, ToolPolicy>>;
  /**
   * Trim the tools the model sees to those FGA authorizes for the user (fail closed: none when FGA fails), and refuse
   * a call of any other (a model can name a tool it was not shown).
   */
  authorizedTools?: AuthorizedToolsOption;
}

const OPTIONS = ['gate', 'approvals', 'interrupts', 'tools', 'authorizedTools'] as const;
/** `createMiddleware`'s brand (a registered symbol): set here so `langchain` stays an optional peer at runtime. */
const MIDDLEWARE_BRAND = Symbol.for('AgentMiddleware');

type WrapToolCall = NonNullable<AgentMiddleware['wrapToolCall']>;
type WrapModelCall = NonNullable<AgentMiddleware['wrapModelCall']>;

/**
 * Middleware for `createAgent` that puts every tool call through the gate without wrapping each tool: per-tool guards
 * and risk, unknown tools denied, denials as tool messages, interrupts as LangGraph interrupts (an in-app approval is
 * also LangChain's own human-in-the-loop request, so approving it in a LangChain UI approves the AgentGate record),
 * and, with `authorizedTools`, only the tools the user may use shown to the model.
 *
 * @example
 * const agent = createAgent({
 *   model, tools: [listEvents, refund], checkpointer: new MemorySaver(),
 *   middleware: [agentGateMiddleware({ gate, approvals, tools: {
 *     list_events: { guards: [requireScopes('calendar:read')] },
 *     refund: { risk: 'high', guards: [approvals.guard({ channel: 'in-app', mode: 'interrupt', details, bindingMessage })] },
 *   } })],
 * });
 * await agent.invoke({ messages }, { configurable: { thread_id, agentgateSession: session } });
 * @throws TypeError for a missing gate or tools, an unknown or malformed option, or a tool whose guards the gate's risk policy does not accept
 */
export function agentGateMiddleware(options: AgentGateMiddlewareOptions): AgentMiddleware {
  const where = 'agentGateMiddleware';
  const { gate, approvals, interrupts } = readAuthOptions(where, options, OPTIONS);
  const trim = readAuthorizedTools(where, options.authorizedTools);
  const policies = readPolicies(where, options.tools, trim);
  for (const [name, policy] of policies)
    gate.assertPolicy({ name, ...policy.descriptor }, policy.guards as Guard<never>[]);

  const wrapToolCall: WrapToolCall = async (request, handler) => {
    const { toolCall, runtime } = request;
    const name = toolCall.name;
    const policy = policies.get(name);
    const schema = standardSchemaOf((request.tool as { schema?: unknown } | undefined)?.schema);
    const tool: GatedTool<unknown> = { name, ...(policy?.descriptor ?? {}), ...(schema ? { schema } : {}) };
    // The node's config: `runtime.configurable` (langchain ≥ 1.2.28), else LangGraph's ambient config.
    const config = (
      runtime.configurable
        ? { configurable: runtime.configurable, context: runtime.context }
        : AsyncLocalStorageProviderSingleton.getRunnableConfig()
    ) as RunnableConfig | undefined;
    const outcome = await runGatedCall({
      gate,
      approvals,
      interrupts,
      call: {
        tool,
        args: toolCall.args,
        ...(toolCall.id ? { callId: toolCall.id } : {}),
        ...(runtime.signal ? { signal: runtime.signal } : {}),
      },
      session: () => sessionOfRun(runtime as RunnableConfig, config),
      guards: policy?.guards ?? [unknownTool(name)],
      // The tool runs with exactly the validated, digested arguments (not parsed a second time).
      execute: (args) =>
        handler({
          ...request,
          toolCall: { ...toolCall, args: args as Record<string, unknown> },
          ...(schema && request.tool && !(request.tool instanceof Tool)
            ? { tool: withoutSecondParse(request.tool) }
            : {}),
        }),
      config,
    });
    if (outcome.ok) return outcome.value;
    return new ToolMessage({
      content: toToolContent(outcome.decision),
      tool_call_id: toolCall.id ?? '',
      name,
      status: 'error',
    });
  };

  const wrapModelCall: WrapModelCall = async (request, handler) => {
    const known = request.tools.filter((tool) => policies.has(nameOf(tool) ?? ''));
    if (!trim) return handler({ ...request, tools: known });
    const session = sessionOfRun(request.runtime as RunnableConfig);
    if (!isAgentSession(session)) return handler({ ...request, tools: [] });
    const result = await trim.fga.authorizedTools(session, known, {
      relation: trim.relation,
      object: (tool) => trim.object(nameOf(tool) ?? ''),
    });
    return handler({ ...request, tools: result.tools });
  };

  return {
    [MIDDLEWARE_BRAND]: true,
    name: 'AgentGateMiddleware',
    wrapToolCall,
    wrapModelCall,
  } as AgentMiddleware;
}

interface ReadPolicy {
  guards: readonly Guard[];
  descriptor: { risk?: Risk };
}

function readPolicies(
  where: string,
  tools: unknown,
  trim: Required<AuthorizedToolsOption> | undefined,
): Map<string, ReadPolicy> {
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new TypeError(`${where}: options.tools must be an object of tool name → { guards, risk? }`);
  }
  const policies = new Map<string, ReadPolicy>();
  for (const [name, policy] of Object.entries(tools)) {
    const label = `${where}: tools.${name}`;
    if (typeof policy !== 'object' || policy === null)
      throw new TypeError(`${label} must be { guards, risk? }`);
    assertKnownOptions(label, policy, ['guards', 'risk']);
    const { guards, risk } = policy as ToolPolicy;
    if (!Array.isArray(guards))
      throw new TypeError(`${label}.guards must be an array of guards ([] for none)`);
    for (const guard of guards) {
      if (
        typeof guard?.name !== 'string' ||
        typeof guard.kind !== 'string' ||
        typeof guard.check !== 'function'
      ) {
        throw new TypeError(`${label}.guards: every guard needs name, kind and check()`);
      }
    }
    if (risk !== undefined && !isRisk(risk))
      throw new TypeError(`${label}.risk must be 'low', 'medium' or 'high'`);
    // A tool hidden from the model is also refused when called (by a model that guesses its name).
    const authorized = trim
      ? [
          trim.fga.guard({
            name: 'agentGateMiddleware(authorizedTools)',
            relation: trim.relation,
            object: () => trim.object(name),
          }),
        ]
      : [];
    policies.set(name, {
      guards: Object.freeze([...authorized, ...guards]),
      descriptor: risk ? { risk } : {},
    });
  }
  return policies;
}

function readAuthorizedTools(
  where: string,
  option: AuthorizedToolsOption | undefined,
): Required<AuthorizedToolsOption> | undefined {
  if (option === undefined) return undefined;
  assertKnownOptions(`${where}: authorizedTools`, option, ['fga', 'relation', 'object']);
  if (typeof option.fga?.authorizedTools !== 'function' || typeof option.fga.guard !== 'function') {
    throw new TypeError(`${where}: authorizedTools.fga must be createFgaAuthorizer()'s result`);
  }
  if (typeof option.relation !== 'string' || option.relation.length === 0) {
    throw new TypeError(`${where}: authorizedTools.relation must be a non-empty string`);
  }
  if (option.object !== undefined && typeof option.object !== 'function') {
    throw new TypeError(`${where}: authorizedTools.object must be a function of the tool name`);
  }
  return { fga: option.fga, relation: option.relation, object: option.object ?? ((name) => `tool:${name}`) };
}

/** The guard of a tool the middleware was not told about: it denies, on record. */
function unknownTool(name: string): Guard {
  return defineGuard({
    name: 'agentGateMiddleware(unknown tool)',
    kind: 'policy',
    check: () => {
      throw new GateDenied('FORBIDDEN', `'${name}' is not one of the tools this agent may call`);
    },
  });
}

function nameOf(tool: unknown): string | undefined {
  const name = (tool as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The tool as the handler runs it once the gate has validated the arguments with its schema: its own body and run,
 * given those arguments as they are. Parsed a second time, a transform or a generated default would apply again, and
 * the tool would run with other arguments than the ones digested and approved. (An empty JSON schema accepts any value
 * unchanged. A string tool is left as it is: it wraps its string as `{ input }` again, which its schema unwraps.)
 */
function withoutSecondParse<T extends object>(tool: T): T {
  return Object.create(tool, { schema: { value: {}, enumerable: true } }) as T;
}

/** The tool's schema when it is a Standard Schema (zod ≥ 3.24, zod 4, valibot, arktype); a JSON schema is not. */
function standardSchemaOf(schema: unknown): StandardSchemaV1<unknown, unknown> | undefined {
  const standard = (schema as { '~standard'?: { validate?: unknown } } | undefined)?.['~standard'];
  return typeof standard?.validate === 'function'
    ? (schema as StandardSchemaV1<unknown, unknown>)
    : undefined;
}
