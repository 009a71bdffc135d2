import type { FgaTuple, FgaTupleKey } from '../types';

/** One check as the transports send it: the FGA user is already resolved from the session. */
export interface WireCheck {
  user: string;
  relation: string;
  object: string;
  contextualTuples?: readonly FgaTuple[];
  context?: Record<string, unknown>;
}

/** The answer to one check; `error` when the server could not evaluate this item (it then counts as not allowed). */
export interface CheckAnswer {
  allowed: boolean;
  error?: string;
}

export interface WireListObjects {
  user: string;
  relation: string;
  type: string;
  contextualTuples?: readonly FgaTuple[];
  context?: Record<string, unknown>;
}

/** One item of a `/batch-check` request: its correlation id (unique within the operation) and its question. */
export interface WireBatchItem {
  id: string;
  question: WireCheck;
}

/** What the authorizer needs from an FGA backend: the SDK against a server, or fga-local's engine in-process. */
export interface FgaTransport {
  /** `/check`: one request. */
  check(question: WireCheck, signal: AbortSignal): Promise<CheckAnswer>;
  /**
   * `/batch-check`: one request for one chunk (at most `batchSize` items; the caller chunks). Answers in chunk order;
   * an answer whose ids are not exactly the chunk's is a `MalformedAnswer`.
   */
  batchCheck(items: readonly WireBatchItem[], signal: AbortSignal): Promise<CheckAnswer[]>;
  /** `/list-objects`: one request. */
  listObjects(request: WireListObjects, signal: AbortSignal): Promise<string[]>;
  /** `/write`: one atomic request up to the write limit, chunks beyond it. */
  write(
    request: { writes?: readonly FgaTuple[]; deletes?: readonly FgaTupleKey[] },
    signal: AbortSignal,
  ): Promise<void>;
}

/** An answer that is not what OpenFGA sends. */
export class MalformedAnswer extends Error {
  override readonly name = 'MalformedAnswer';
}

/**
 * Checks the raw `result` of one `/batch-check` answer (an object keyed by correlation id) against the ids the chunk
 * sent — exactly those, none missing, none extra (an id of another chunk is extra) — and returns the answers in chunk
 * order. Each item needs a boolean `allowed` or an error: a missing or `null` `allowed` is malformed.
 */
export function answersInOrder(ids: readonly string[], result: unknown): CheckAnswer[] {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new MalformedAnswer("the batch check answer has no 'result'");
  }
  const answered = Object.keys(result);
  const sent = new Set(ids);
  if (answered.length !== sent.size || answered.some((id) => !sent.has(id))) {
    throw new MalformedAnswer('the batch check answer does not answer exactly the items of its request');
  }
  return ids.map((id, index) => {
    const item = (result as Record<string, unknown>)[id];
    if (typeof item !== 'object' || item === null) {
      throw new MalformedAnswer(`the batch check answer has no result for item ${index}`);
    }
    const { allowed, error } = item as { allowed?: unknown; error?: unknown };
    const message = errorMessage(error);
    if (message !== undefined) return { allowed: false, error: message };
    if (typeof allowed === 'boolean') return { allowed };
    throw new MalformedAnswer(`the batch check answer for item ${index} has no boolean 'allowed'`);
  });
}

/** OpenFGA sends `error: { message: '' }` with successful items too: only a non-empty message is an error. */
function errorMessage(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  if (typeof error !== 'object') return String(error);
  const {
    message,
    input_error: inputError,
    internal_error: internalError,
  } = error as Record<string, unknown>;
  if (typeof message === 'string' && message.length > 0) return message;
  for (const code of [inputError, internalError]) {
    if (
      typeof code === 'string' &&
      code.length > 0 &&
      code !== 'no_input_error' &&
      code !== 'no_internal_error'
    ) {
      return code;
    }
    if (typeof code === 'number' && code !== 0) return String(code);
  }
  return undefined;
}

/** Checks a list-objects answer: an array of `type:id` strings of the asked type. */
export function checkedObjects(type: string, objects: unknown): string[] {
  if (!Array.isArray(objects)) throw new MalformedAnswer("the list objects answer has no 'objects' array");
  const prefix = `${type}:`;
  for (const object of objects) {
    if (typeof object !== 'string' || !object.startsWith(prefix) || object.length === prefix.length) {
      throw new MalformedAnswer(`the list objects answer holds something that is not a '${type}' object`);
    }
  }
  return objects as string[];
}
