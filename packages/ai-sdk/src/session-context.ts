import { type AgentSession, currentSession, isAgentSession } from '@agentgate/core';

/** The key under which a gated tool's context (its `toolsContext` entry) carries the session. */
export const SESSION_CONTEXT_KEY = 'agentgateSession';

/** A gated tool's context entry: the session it acts for, next to whatever context the tool itself declares. */
export interface SessionContext {
  readonly agentgateSession?: AgentSession;
}

/**
 * The context entry of one gated tool: `toolsContext: { refund: sessionContext(session) }`. The AI SDK hands each
 * tool its own entry; the gate reads the session there (else from `runWithSession`), never from the tool's input.
 *
 * @throws TypeError when `session` is not a session (`isAgentSession`)
 * @example streamText({ model, tools, toolsContext: { listEvents: sessionContext(session) } });
 */
export function sessionContext(session: AgentSession): { readonly agentgateSession: AgentSession } {
  if (!isAgentSession(session)) {
    throw new TypeError('sessionContext: session must be an AgentSession (createSession, identity, a login)');
  }
  return { agentgateSession: session };
}

/**
 * The `toolsContext` of a whole tool set: every tool's entry (from `contexts`, when given) plus the session. Tools
 * that are not gated ignore the extra key.
 *
 * @throws TypeError when `session` is not a session
 * @example
 * const tools = { listEvents, refund };
 * streamText({ model, tools, toolsContext: sessionToolsContext(tools, session) });
 */
export function sessionToolsContext<
  Tools extends Record<string, unknown>,
  const Contexts extends { readonly [Name in keyof Tools]?: Record<string, unknown> } = Record<never, never>,
>(tools: Tools, session: AgentSession, contexts?: Contexts): SessionToolsContext<Tools, Contexts> {
  const entry = sessionContext(session);
  if (typeof tools !== 'object' || tools === null)
    throw new TypeError('sessionToolsContext: tools must be a tool set');
  const own = (contexts ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(tools)) result[name] = { ...(own[name] ?? {}), ...entry };
  return result as SessionToolsContext<Tools, Contexts>;
}

/** The `toolsContext` {@link sessionToolsContext} builds: each tool's own entry plus the session. */
export type SessionToolsContext<Tools, Contexts> = {
  [Name in keyof Tools]: (Name extends keyof Contexts ? NonNullable<Contexts[Name]> : unknown) & {
    readonly agentgateSession: AgentSession;
  };
};

/** @internal The well-formed session a context entry carries, or `undefined`. Never throws. */
export function sessionOf(context: unknown): AgentSession | undefined {
  const given = sessionEntryOf(context);
  return isAgentSession(given) ? given : undefined;
}

/**
 * @internal The session a call acts for: its context entry's, when the entry has the key — even a value that is no
 * session, which the gate then refuses on record rather than falling back to another source — else the session of
 * `runWithSession`. Never throws.
 */
export function sessionForCall(context: unknown): AgentSession | undefined {
  const given = sessionEntryOf(context);
  return given === NO_ENTRY ? currentSession() : (given as AgentSession);
}

const NO_ENTRY: unique symbol = Symbol('no session entry');

function sessionEntryOf(context: unknown): unknown {
  try {
    if (typeof context !== 'object' || context === null || !Object.hasOwn(context, SESSION_CONTEXT_KEY)) {
      return NO_ENTRY;
    }
    const given = (context as Record<string, unknown>)[SESSION_CONTEXT_KEY];
    return given === undefined ? NO_ENTRY : given;
  } catch {
    return null; // an entry that cannot be read: no session, refused
  }
}
