import type { LocalFgaEngine } from '../local-engine';
import {
  answersInOrder,
  type CheckAnswer,
  checkedObjects,
  type FgaTransport,
  MalformedAnswer,
} from './transport';

export interface LocalTransportOptions {
  engine: LocalFgaEngine;
  storeId: string;
  authorizationModelId: string | undefined;
  maxTuplesPerWrite: number;
}

/**
 * The authorizer's questions to fga-local's engine in this process: the same requests the server would get, chunked
 * the same way (by the caller), so behaviour (and the memo's savings) match the HTTP path. The engine is synchronous;
 * every call still yields to the event loop once, so an abort is honoured between chunks.
 */
export function localTransport(options: LocalTransportOptions): FgaTransport {
  const { engine, storeId } = options;
  const model =
    options.authorizationModelId === undefined
      ? {}
      : { authorization_model_id: options.authorizationModelId };
  const ready = async (signal: AbortSignal) => {
    await Promise.resolve();
    signal.throwIfAborted();
  };

  return {
    async check(question, signal) {
      await ready(signal);
      const answer = engine.check(storeId, {
        ...model,
        tuple_key: { user: question.user, relation: question.relation, object: question.object },
        ...(question.contextualTuples ? { contextual_tuples: [...question.contextualTuples] } : {}),
        ...(question.context ? { context: question.context } : {}),
      });
      if (typeof answer?.allowed !== 'boolean')
        throw new MalformedAnswer("the check answer has no boolean 'allowed'");
      return { allowed: answer.allowed };
    },

    async batchCheck(items, signal): Promise<CheckAnswer[]> {
      await ready(signal);
      const response = engine.batchCheck(storeId, {
        ...model,
        checks: items.map(({ id, question }) => ({
          tuple_key: { user: question.user, relation: question.relation, object: question.object },
          ...(question.contextualTuples ? { contextual_tuples: [...question.contextualTuples] } : {}),
          ...(question.context ? { context: question.context } : {}),
          correlation_id: id,
        })),
      });
      return answersInOrder(
        items.map((item) => item.id),
        response?.result,
      );
    },

    async listObjects(request, signal) {
      await ready(signal);
      const answer = engine.listObjects(storeId, {
        ...model,
        user: request.user,
        relation: request.relation,
        type: request.type,
        ...(request.contextualTuples ? { contextual_tuples: [...request.contextualTuples] } : {}),
        ...(request.context ? { context: request.context } : {}),
      });
      return checkedObjects(request.type, answer?.objects);
    },

    async write(request, signal) {
      const items = [
        ...(request.writes ?? []).map((tuple) => ({ write: tuple })),
        ...(request.deletes ?? []).map((tuple) => ({ delete: tuple })),
      ];
      for (let start = 0; start < items.length; start += options.maxTuplesPerWrite) {
        await ready(signal);
        const chunk = items.slice(start, start + options.maxTuplesPerWrite);
        const writes = chunk.flatMap((item) => ('write' in item ? [item.write] : []));
        const deletes = chunk.flatMap((item) => ('delete' in item ? [item.delete] : []));
        engine.write(storeId, {
          ...model,
          ...(writes.length > 0 ? { writes } : {}),
          ...(deletes.length > 0 ? { deletes } : {}),
        });
      }
    },
  };
}
