import { type AgentSession, isAgentSession } from '@agentgate/core';
import type { FgaQuestionContext, FgaTuple, FgaTupleKey } from '../types';

/**
 * `type:id` with a non-empty type and id, as OpenFGA accepts it: at most 256 characters, no whitespace, control or
 * format characters, no `#` (usersets `type:id#relation` are users, not objects) and no `:` in the type.
 */
export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 256 && OBJECT_ID.test(value);
}

const OBJECT_ID = /^[^\s\p{Cc}\p{Cf}:#@]+:[^\s\p{Cc}\p{Cf}#]+$/u;

/**
 * A subject the default FGA user (`user:<sub>`) can be made of: an id OpenFGA reads as one user — not a userset
 * (`#`), a wildcard (`*`), a typed id (`:`), nor anything with whitespace, control or format characters.
 */
export function isPlainSubject(sub: string): boolean {
  return /^[^\s\p{Cc}\p{Cf}:#*]+$/u.test(sub);
}

export const typeOf = (object: string): string => object.slice(0, object.indexOf(':'));

export function assertSession(where: string, session: unknown): asserts session is AgentSession {
  if (!isAgentSession(session)) {
    throw new TypeError(
      `${where}: session must be an AgentSession (from @agentgate/identity or createSession)`,
    );
  }
}

export function assertName(where: string, name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || /[\s:#@]/.test(value)) {
    throw new TypeError(`${where}: ${name} must be a relation or type name (no spaces, ':', '#' or '@')`);
  }
}

export function assertFunction(where: string, name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${where}: ${name} must be a function`);
}

export function assertSignal(where: string, value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(`${where}: signal must be an AbortSignal`);
  }
}

export function assertTupleKey(where: string, tuple: unknown): asserts tuple is FgaTupleKey {
  const { user, relation, object } = (tuple ?? {}) as Partial<FgaTupleKey>;
  if (
    typeof user !== 'string' ||
    !user.includes(':') ||
    typeof relation !== 'string' ||
    !isObjectId(object)
  ) {
    throw new TypeError(
      `${where}: a tuple needs user ('type:id' or 'type:id#relation'), relation and object ('type:id')`,
    );
  }
  if (relation.length === 0) throw new TypeError(`${where}: a tuple's relation must not be empty`);
}

export function assertTuples(where: string, tuples: unknown): asserts tuples is readonly FgaTuple[] {
  if (!Array.isArray(tuples)) throw new TypeError(`${where}: tuples must be an array`);
  for (const tuple of tuples) {
    assertTupleKey(where, tuple);
    const { condition } = tuple as FgaTuple;
    if (condition !== undefined && (typeof condition?.name !== 'string' || condition.name.length === 0)) {
      throw new TypeError(`${where}: a tuple's condition must be { name, context? }`);
    }
  }
}

/** Checks `contextualTuples` and `context` of a question. */
export function assertQuestionContext(where: string, question: FgaQuestionContext): void {
  if (question.contextualTuples !== undefined)
    assertTuples(`${where} contextualTuples`, question.contextualTuples);
  const { context } = question;
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
    throw new TypeError(`${where}: context must be an object`);
  }
}

/** Only the question's own context fields, without `undefined` ones. */
export function questionContext(question: FgaQuestionContext): FgaQuestionContext {
  return {
    ...(question.contextualTuples === undefined ? {} : { contextualTuples: question.contextualTuples }),
    ...(question.context === undefined ? {} : { context: question.context }),
  };
}

/** `value` as a positive integer, `fallback` when absent. @throws TypeError naming the option otherwise */
export function positiveInteger(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new TypeError(`${where}: ${name} must be a positive integer`);
  }
  return value as number;
}
