/** The condition of a tuple: a condition name from the model and the values the tuple stores for it. */
export interface FgaCondition {
  name: string;
  context?: Record<string, unknown>;
}

/** A relationship tuple: `user` has `relation` on `object` (`type:id`), optionally under a condition. */
export interface FgaTuple {
  user: string;
  relation: string;
  object: string;
  condition?: FgaCondition;
}

/** A tuple without its condition: what a delete names. */
export interface FgaTupleKey {
  user: string;
  relation: string;
  object: string;
}

/**
 * What a question adds to the stored tuples: `contextualTuples` (true for this question only, e.g. "the user is in
 * the office network") and `context` (values for the model's conditions, e.g. `{ current_time }`). Two questions that
 * differ only here are different questions: they are never merged or answered from each other's memo.
 */
export interface FgaQuestionContext {
  contextualTuples?: readonly FgaTuple[];
  context?: Record<string, unknown>;
}

/** OpenFGA's consistency preference for queries. */
export type FgaConsistency = 'MINIMIZE_LATENCY' | 'HIGHER_CONSISTENCY';
