import type { FgaTuple, FgaTupleKey } from './types';

/**
 * What the authorizer uses of `@agentgate/fga-local`'s in-process engine (`createLocalFga()` returns one). Declared
 * here structurally so that this package does not load fga-local unless you pass an engine.
 */
export interface LocalFgaEngine {
  check(
    storeId: string,
    request: {
      authorization_model_id?: string;
      tuple_key: FgaTupleKey;
      contextual_tuples?: FgaTuple[];
      context?: Record<string, unknown>;
    },
  ): { allowed: boolean };
  batchCheck(
    storeId: string,
    request: {
      authorization_model_id?: string;
      checks: {
        tuple_key: FgaTupleKey;
        contextual_tuples?: FgaTuple[];
        context?: Record<string, unknown>;
        correlation_id: string;
      }[];
    },
  ): { result: Record<string, { allowed?: boolean; error?: { message: string } }> };
  listObjects(
    storeId: string,
    request: {
      authorization_model_id?: string;
      type: string;
      relation: string;
      user: string;
      contextual_tuples?: FgaTuple[];
      context?: Record<string, unknown>;
    },
  ): { objects: string[] };
  write(
    storeId: string,
    request: { writes?: FgaTuple[]; deletes?: FgaTupleKey[]; authorization_model_id?: string },
  ): void;
}
