import { type AgentSession, defineGuard, GateDenied, type Guard } from '@agentgate/core';
import { askCheck, type Core, newStats } from './internal/core';
import type { TurnMemo } from './internal/memo';
import { contextKey } from './internal/question-key';
import { assertFunction, assertName, assertQuestionContext, isObjectId } from './internal/validate';
import type { FgaQuestionContext, FgaTuple } from './types';

/** A value, or a function of the verified session that gives it (may return a promise). */
export type FromSession<Value> = Value | ((input: { session: AgentSession }) => Value | Promise<Value>);

/**
 * A value, or a function of the call — the model's validated arguments and the session — that gives it. Only with
 * `trustArguments: true`: whatever it derives from `args`, the model chose.
 */
export type FromCall<Args, Value> =
  | Value
  | ((input: { args: Args; session: AgentSession }) => Value | Promise<Value>);

interface FgaGuardCommonOptions<Args> {
  /** The relation the session's user needs on the object, e.g. `'viewer'` or `'can_use'`. */
  relation: string;
  /** The object the call touches, from the validated arguments: `args => \`doc:${args.documentId}\``. */
  object: (args: Args) => string;
  /** The guard's name in audit events and errors. @default `fga(<relation>)` */
  name?: string;
}

/**
 * The default: contextual tuples and context come from the session or your code, never from the model's arguments
 * (the functions receive `{ session }` only). A contextual tuple is a fact the server takes as true for this question,
 * and a condition's context (such as `now`) decides it: taken from arguments, the model would grant itself access.
 */
export interface FgaGuardSessionOptions<Args> extends FgaGuardCommonOptions<Args> {
  trustArguments?: false;
  contextualTuples?: FromSession<readonly FgaTuple[]>;
  context?: FromSession<Record<string, unknown>>;
}

/**
 * **Unsafe unless the arguments cannot grant access.** Contextual tuples and context derived from the model's
 * arguments (the functions receive `{ args, session }`): the model chooses them. Use it only for facts that can
 * narrow but never widen what the user may do, or that a trusted step has verified before the call.
 */
export interface FgaGuardArgumentOptions<Args> extends FgaGuardCommonOptions<Args> {
  trustArguments: true;
  contextualTuples?: FromCall<Args, readonly FgaTuple[]>;
  context?: FromCall<Args, Record<string, unknown>>;
}

export type FgaGuardOptions<Args> = FgaGuardSessionOptions<Args> | FgaGuardArgumentOptions<Args>;

const OPTIONS = ['relation', 'object', 'contextualTuples', 'context', 'name', 'trustArguments'];

/** Implementation of `FgaAuthorizer.guard`. */
export function fgaGuard<Args>(
  core: Core,
  memoFor: () => TurnMemo | undefined,
  options: FgaGuardOptions<Args>,
  assertKnown: (options: unknown, known: readonly string[]) => void,
): Guard<Args> {
  const where = 'fga.guard';
  assertKnown(options, OPTIONS);
  assertName(where, 'relation', options.relation);
  assertFunction(where, 'object', options.object);
  const { trustArguments = false } = options;
  if (typeof trustArguments !== 'boolean') throw new TypeError(`${where}: trustArguments must be a boolean`);
  for (const name of ['contextualTuples', 'context'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') assertQuestionContext(where, { [name]: value });
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw new TypeError(`${where}: name must be a non-empty string`);
  }
  const { relation } = options;
  const name = options.name ?? `fga(${relation})`;
  // Without the opt-in the functions never see the arguments: `args` is not there to be read.
  const inputOf = (session: AgentSession, args: Args) =>
    Object.freeze(trustArguments ? { args, session } : { session });
  const resolve = async (value: unknown, input: object): Promise<unknown> =>
    typeof value === 'function' ? await (value as (input: object) => unknown)(input) : value;

  return defineGuard<Args>({
    name,
    kind: 'fga',
    async check({ session, args, signal }) {
      const object = options.object(args);
      if (!isObjectId(object)) {
        throw new GateDenied('FORBIDDEN', `${name}: the call names no valid object ('type:id')`, {
          guard: name,
        });
      }
      const input = inputOf(session, args);
      const contextualTuples = await resolve(options.contextualTuples, input);
      const context = await resolve(options.context, input);
      const question = {
        ...(contextualTuples === undefined ? {} : { contextualTuples }),
        ...(context === undefined ? {} : { context }),
      } as FgaQuestionContext;
      assertQuestionContext(where, question);
      // The user is the session's, whatever the arguments say.
      const user = core.userOf(session);
      const allowed = await askCheck(
        core,
        memoFor(),
        { user, relation, object, ...question },
        contextKey(where, question),
        { signal, stats: newStats() },
      );
      if (!allowed) {
        throw new GateDenied('FORBIDDEN', `not allowed: '${relation}' on '${object}'`, {
          guard: name,
          details: { relation, object },
        });
      }
    },
  });
}
