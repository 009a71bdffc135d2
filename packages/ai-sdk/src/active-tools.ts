import { type AgentSession, assertKnownOptions, currentSession, isAgentSession } from '@agentgate/core';
import type { FgaAuthorizer, FgaQuestionContext } from '@agentgate/fga';

/** Options of {@link activeToolsFor}. */
export interface ActiveToolsForOptions<Tools extends Record<string, unknown>> extends FgaQuestionContext {
  /** The authorizer (`createFgaAuthorizer`), or one turn of it (`fga.forTurn()`). */
  fga: FgaAuthorizer;
  /** The tool set the model could be given. */
  tools: Tools;
  /** @default the session of `runWithSession` */
  session?: AgentSession;
  /** The relation the user needs on a tool's object. @default 'can_use' */
  relation?: string;
  /** A tool's FGA object. @default name => `tool:${name}` */
  object?: (name: keyof Tools & string) => string;
  signal?: AbortSignal;
}

const OPTIONS = [
  'fga',
  'tools',
  'session',
  'relation',
  'object',
  'signal',
  'contextualTuples',
  'context',
] as const;

/**
 * The names of the tools the session's user may use, for `activeTools` (in `prepareStep` or the call itself), so the
 * model is never offered the others. One FGA batch check for the set. Fails closed: without a session (or with a value
 * that is none: `isAgentSession`), or when FGA cannot answer, no tool is active (the failure is in the FGA audit log).
 *
 * @throws TypeError on invalid options
 * @example
 * streamText({ model, tools, prepareStep: async () => ({ activeTools: await activeToolsFor({ fga, tools, session }) }) });
 */
export async function activeToolsFor<Tools extends Record<string, unknown>>(
  options: ActiveToolsForOptions<Tools>,
): Promise<Array<keyof Tools & string>> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('activeToolsFor: options are required');
  assertKnownOptions('activeToolsFor', options, OPTIONS);
  const { fga, tools, relation = 'can_use', object = (name: string) => `tool:${name}` } = options;
  if (typeof fga?.authorizedTools !== 'function') {
    throw new TypeError('activeToolsFor: fga must come from createFgaAuthorizer()');
  }
  if (typeof tools !== 'object' || tools === null)
    throw new TypeError('activeToolsFor: tools must be a tool set');
  // Only `undefined` means "not given"; a value that is no session (`null` included) offers nothing, like none at all.
  const session = options.session === undefined ? currentSession() : options.session;
  if (!isAgentSession(session)) return [];
  const result = await fga.authorizedTools(session, Object.keys(tools) as Array<keyof Tools & string>, {
    relation,
    object,
    ...(options.contextualTuples === undefined ? {} : { contextualTuples: options.contextualTuples }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return result.success ? result.tools : [];
}
