import { type AgentSession, currentSession, isAgentSession } from '@agentgate/core';
import type { RunnableConfig } from '@langchain/core/runnables';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';

/**
 * The one key that carries the {@link AgentSession} of a run: under `config.configurable` (any runnable, LangGraph,
 * `createAgent`) or under LangGraph's / `createAgent`'s `context`. Never read from tool input.
 */
export const SESSION_KEY = 'agentgateSession';

/** The run config that carries a session: pass it as the second argument of `invoke` / `stream`. */
export interface SessionConfig {
  configurable: { [SESSION_KEY]: AgentSession };
}

/**
 * The config that binds a run to the verified user.
 *
 * @example
 * await agent.invoke({ messages }, { ...sessionConfig(session), configurable: { ...sessionConfig(session).configurable, thread_id } });
 * @throws TypeError when `session` is not an AgentSession (`isAgentSession`: a field missing, or JSON with no
 * `subjectToken()`)
 */
export function sessionConfig(session: AgentSession): SessionConfig {
  if (!isAgentSession(session)) {
    throw new TypeError(
      'sessionConfig: session must be an AgentSession built in this process (createSession, verifyAccessToken)',
    );
  }
  return { configurable: { [SESSION_KEY]: session } };
}

/** What a LangChain call gives the adapter to find the run: its config, and `createAgent`'s runtime if any. */
export interface RunLike {
  configurable?: Record<string, unknown> | undefined;
  context?: unknown;
}

/**
 * The session of the run: `config.configurable.agentgateSession`, else `context.agentgateSession`, else the session
 * of the run's ambient LangChain config, else core's `runWithSession` scope. `undefined` when none (the gate then
 * denies `NO_SESSION`). Tool input is never consulted.
 */
export function sessionOfRun(
  ...runs: readonly (RunLike | RunnableConfig | undefined)[]
): AgentSession | undefined {
  const ambient = AsyncLocalStorageProviderSingleton.getRunnableConfig() as RunnableConfig | undefined;
  for (const run of [...runs, ambient]) {
    const found = fromRun(run as RunLike | undefined);
    if (found) return found;
  }
  return currentSession();
}

/** What stands for a value under the key that is no session built in this process: the gate denies it, malformed. */
const NOT_A_SESSION = Object.freeze({ user: Object.freeze({}) }) as unknown as AgentSession;

/**
 * The value under the key. One that is not a session built in this process (`createSession`, `verifyAccessToken`)
 * — such as JSON a client sent as `configurable` or `context` to a LangGraph server: it has no `subjectToken()` —
 * is no session: the gate denies the call as `NO_SESSION` (malformed) instead of falling back to another source.
 */
function fromRun(run: RunLike | undefined): AgentSession | undefined {
  if (typeof run !== 'object' || run === null) return undefined;
  const context = run.context;
  const configured = run.configurable?.[SESSION_KEY];
  const found =
    configured !== undefined
      ? configured
      : typeof context === 'object' && context !== null
        ? (context as Record<string, unknown>)[SESSION_KEY]
        : undefined;
  // Only a missing key means "not given here": anything else under it, `null` included, is this run's (malformed) one.
  if (found === undefined) return undefined;
  return isAgentSession(found) ? found : NOT_A_SESSION;
}
