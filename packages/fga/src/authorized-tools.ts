import type { AgentSession, AuditFailed } from '@agentgate/core';
import type { FgaRequestFailed } from './errors';
import { asFailure, failureReason, objectOf } from './filter-documents';
import { authorizeObjects } from './internal/authorize-objects';
import { type Core, newStats, recordFilterEvent } from './internal/core';
import type { TurnMemo } from './internal/memo';
import { contextKey } from './internal/question-key';
import {
  assertFunction,
  assertName,
  assertQuestionContext,
  assertSession,
  assertSignal,
  questionContext,
} from './internal/validate';
import type { FgaQuestionContext } from './types';

export interface AuthorizedToolsOptions<Tool> extends FgaQuestionContext {
  /** The relation the user needs on a tool's object, e.g. `'can_use'`. */
  relation: string;
  /** The FGA object of a tool, e.g. `tool => \`tool:${tool.name}\``. A tool without a valid one is hidden. */
  object: (tool: Tool) => string;
  signal?: AbortSignal;
}

/** The tools the user may call, in input order; on failure none (fail closed) and the typed error. */
export type AuthorizedToolsResult<Tool> =
  | { success: true; tools: Tool[]; hidden: number; error?: never }
  | { success: false; tools: []; hidden: number; error: FgaRequestFailed | AuditFailed };

/** Implementation of `FgaAuthorizer.authorizedTools`. */
export async function authorizedTools<Tool>(
  core: Core,
  memo: TurnMemo | undefined,
  session: AgentSession,
  input: readonly Tool[],
  options: AuthorizedToolsOptions<Tool>,
  assertKnown: (options: unknown, known: readonly string[]) => void,
): Promise<AuthorizedToolsResult<Tool>> {
  const where = 'authorizedTools';
  assertSession(where, session);
  if (!Array.isArray(input)) throw new TypeError(`${where}: tools must be an array`);
  const tools = [...input]; // what is checked is what is offered, whatever the caller does to its array
  assertKnown(options, ['relation', 'object', 'contextualTuples', 'context', 'signal']);
  assertName(where, 'relation', options.relation);
  assertFunction(where, 'object', options.object);
  assertSignal(where, options.signal);
  assertQuestionContext(where, options);
  const question = questionContext(options);
  const key = contextKey(where, question);
  const objects = tools.map((tool) => objectOf(options.object, tool));
  const stats = { ...newStats(), itemErrors: 0 };
  const guard = `fga(${options.relation})`;
  const user = core.userOf(session);
  // Up to one batch: one /batch-check. More tools than a batch holds: one /list-objects per tool type.
  const strategy = objects.length <= core.batchSize ? 'post' : 'pre';
  try {
    const decided = await authorizeObjects(
      core,
      memo,
      {
        user,
        relation: options.relation,
        objects,
        question,
        contextKey: key,
        signal: options.signal,
        stats,
      },
      strategy,
    );
    const allowed = tools.filter((_tool, index) => decided[index]);
    const hidden = tools.length - allowed.length;
    await recordFilterEvent(core, session, {
      tool: where,
      guard,
      outcome: 'allow',
      reason: `${strategy}: ${tools.length} tools, ${allowed.length} offered, ${hidden} hidden, ${stats.requests} requests`,
    });
    return { success: true, tools: allowed, hidden };
  } catch (error) {
    let failure = asFailure(error);
    try {
      await recordFilterEvent(core, session, {
        tool: where,
        guard,
        outcome: 'failed',
        code: failure.code,
        reason: failureReason(`${strategy}: ${tools.length} tools, none offered`, failure),
      });
    } catch (auditError) {
      failure = asFailure(auditError);
    }
    return { success: false, tools: [], hidden: tools.length, error: failure };
  }
}
