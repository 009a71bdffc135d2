import { raceAbort as raceSignal } from '@agentgate/core';
import {
  type ClientRequestOptsWithConsistency,
  ClientWriteStatus,
  ConsistencyPreference,
  OpenFgaClient,
  type UserClientConfigurationParams,
} from '@openfga/sdk';
import type { FgaConsistency } from '../types';
import {
  answersInOrder,
  type CheckAnswer,
  checkedObjects,
  type FgaTransport,
  MalformedAnswer,
} from './transport';

export interface SdkTransportOptions {
  apiUrl: string;
  storeId: string;
  authorizationModelId: string | undefined;
  credentials: UserClientConfigurationParams['credentials'];
  consistency: FgaConsistency | undefined;
  retry: { maxRetry?: number; minWaitInMs?: number } | undefined;
  maxParallelRequests: number;
  maxTuplesPerWrite: number;
}

/**
 * The authorizer's questions through `@openfga/sdk`'s `OpenFgaClient` (its retries and auth).
 *
 * @throws the SDK's `FgaValidationError` for a configuration it refuses (the caller turns it into a `TypeError`)
 */
export function sdkTransport(options: SdkTransportOptions): FgaTransport {
  const client = new OpenFgaClient({
    apiUrl: options.apiUrl,
    storeId: options.storeId,
    ...(options.authorizationModelId === undefined
      ? {}
      : { authorizationModelId: options.authorizationModelId }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.retry === undefined ? {} : { retryParams: options.retry }),
  });
  const consistency =
    options.consistency === undefined ? undefined : ConsistencyPreference[toEnumKey(options.consistency)];
  // The SDK spreads request options into axios's request config (`{ ...baseOptions, ...options }`), so `signal`
  // reaches axios: an aborted or timed-out question stops sending. `raceAbort` settles at once either way.
  const requestOptions = (signal: AbortSignal) =>
    ({ ...(consistency === undefined ? {} : { consistency }), signal }) as ClientRequestOptsWithConsistency;

  return {
    async check(question, signal) {
      const answer = await raceAbort(
        client.check(
          {
            user: question.user,
            relation: question.relation,
            object: question.object,
            ...(question.contextualTuples ? { contextualTuples: [...question.contextualTuples] } : {}),
            ...(question.context ? { context: question.context } : {}),
          },
          requestOptions(signal),
        ),
        signal,
      );
      if (typeof answer?.allowed !== 'boolean')
        throw new MalformedAnswer("the check answer has no boolean 'allowed'");
      return { allowed: answer.allowed };
    },

    async batchCheck(items, signal): Promise<CheckAnswer[]> {
      // One chunk, one request, through the SDK's API layer (its auth and retries): the client's `batchCheck` would
      // merge the answers of all chunks by correlation id and coerce a missing `allowed` to false, so a confused
      // server could answer one chunk with another's ids. The raw answer is checked against this chunk's ids.
      const response = await raceAbort(
        client.api.batchCheck(
          options.storeId,
          {
            checks: items.map(({ id, question }) => ({
              tuple_key: { user: question.user, relation: question.relation, object: question.object },
              ...(question.contextualTuples
                ? { contextual_tuples: { tuple_keys: [...question.contextualTuples] } }
                : {}),
              ...(question.context ? { context: question.context } : {}),
              correlation_id: id,
            })),
            ...(options.authorizationModelId === undefined
              ? {}
              : { authorization_model_id: options.authorizationModelId }),
            ...(consistency === undefined ? {} : { consistency }),
          },
          { signal },
        ),
        signal,
      );
      return answersInOrder(
        items.map((item) => item.id),
        (response as { result?: unknown } | undefined)?.result,
      );
    },

    async listObjects(request, signal) {
      const answer = await raceAbort(
        client.listObjects(
          {
            user: request.user,
            relation: request.relation,
            type: request.type,
            ...(request.contextualTuples ? { contextualTuples: [...request.contextualTuples] } : {}),
            ...(request.context ? { context: request.context } : {}),
          },
          requestOptions(signal),
        ),
        signal,
      );
      return checkedObjects(request.type, answer?.objects);
    },

    async write(request, signal) {
      const writes = request.writes ? [...request.writes] : [];
      const deletes = request.deletes ? [...request.deletes] : [];
      const atomic = writes.length + deletes.length <= options.maxTuplesPerWrite;
      const response = await raceAbort(
        client.write(
          { ...(writes.length > 0 ? { writes } : {}), ...(deletes.length > 0 ? { deletes } : {}) },
          {
            ...requestOptions(signal),
            ...(atomic
              ? {}
              : {
                  transaction: {
                    disable: true,
                    maxPerChunk: options.maxTuplesPerWrite,
                    maxParallelRequests: options.maxParallelRequests,
                  },
                }),
          },
        ),
        signal,
      );
      const failed = [...(response?.writes ?? []), ...(response?.deletes ?? [])].find(
        (item) => item.status === ClientWriteStatus.FAILURE,
      );
      if (failed) throw failed.err ?? new Error('a chunk of the write failed');
    },
  };
}

/** `raceAbort`, with the SDK's promise marked handled: an abandoned request never rejects unhandled. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {});
  return raceSignal(promise, signal);
}

function toEnumKey(consistency: FgaConsistency): 'MinimizeLatency' | 'HigherConsistency' {
  return consistency === 'HIGHER_CONSISTENCY' ? 'HigherConsistency' : 'MinimizeLatency';
}
