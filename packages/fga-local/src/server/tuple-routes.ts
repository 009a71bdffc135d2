import type { LocalFga, TupleKey } from '../engine/types';
import { ApiError, validationError } from './api-error';
import {
  checkConsistency,
  isObject,
  optionalObject,
  optionalString,
  optionalUlid,
  pageSize,
  tupleKeyList,
  ulid,
} from './request-fields';
import type { Route } from './route';

/** `/stores/{store_id}/write` and `/stores/{store_id}/read`. */
export const tupleRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/write$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'WriteRequest.StoreId');
      const request = await body();
      const writes = optionalObject(request.writes, 'WriteRequest.Writes');
      const deletes = optionalObject(request.deletes, 'WriteRequest.Deletes');
      let writeKeys = tupleKeyList(writes?.tuple_keys, 'WriteRequestWrites.TupleKeys');
      let deleteKeys = tupleKeyList(deletes?.tuple_keys, 'WriteRequestDeletes.TupleKeys').map(
        withoutCondition,
      );
      if (writeKeys.length === 0 && deleteKeys.length === 0) {
        throw new ApiError(
          'invalid_write_input',
          'Invalid input. Make sure you provide at least one write or delete',
        );
      }
      if (writeKeys.length + deleteKeys.length > limits.maxTuplesPerWrite) {
        throw new ApiError(
          'exceeded_entity_limit',
          `The number of write operations exceeds the allowed limit of ${limits.maxTuplesPerWrite}`,
        );
      }
      if (conflictOption(writes?.on_duplicate, 'on_duplicate') === 'ignore') {
        writeKeys = writeKeys.filter((key) => !identicalTupleExists(engine, storeId, key));
      }
      if (conflictOption(deletes?.on_missing, 'on_missing') === 'ignore') {
        deleteKeys = deleteKeys.filter((key) => storedTuple(engine, storeId, key) !== undefined);
      }
      if (writeKeys.length > 0 || deleteKeys.length > 0) {
        engine.write(storeId, {
          writes: writeKeys,
          deletes: deleteKeys,
          authorization_model_id: optionalUlid(
            request.authorization_model_id,
            'WriteRequest.AuthorizationModelId',
          ),
        });
      }
      return { status: 200, body: {} };
    },
  },
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/read$/,
    async handle({ engine, params: [id = ''], body }) {
      const storeId = ulid(id, 'ReadRequest.StoreId');
      const request = await body();
      checkConsistency(request.consistency);
      const filter = optionalObject(request.tuple_key, 'ReadRequest.TupleKey');
      const tupleKey = filter && {
        user: optionalString(filter.user, 'ReadRequestTupleKey.User'),
        relation: optionalString(filter.relation, 'ReadRequestTupleKey.Relation'),
        object: optionalString(filter.object, 'ReadRequestTupleKey.Object'),
      };
      const response = engine.read(storeId, {
        ...(tupleKey && { tuple_key: tupleKey }),
        page_size: pageSize(request.page_size),
        continuation_token: optionalString(request.continuation_token, 'ReadRequest.ContinuationToken'),
      });
      return { status: 200, body: response };
    },
  },
];

function conflictOption(value: unknown, field: string): 'error' | 'ignore' {
  if (value === undefined || value === null || value === '' || value === 'error') return 'error';
  if (value === 'ignore') return 'ignore';
  throw validationError(`invalid value for enum field ${field}: ${JSON.stringify(value)}`);
}

function withoutCondition({ user, relation, object }: TupleKey): TupleKey {
  return { user, relation, object };
}

function storedTuple(engine: LocalFga, storeId: string, key: TupleKey): TupleKey | undefined {
  const { tuples } = engine.read(storeId, {
    tuple_key: { user: key.user, relation: key.relation, object: key.object },
    page_size: 1,
  });
  return tuples[0]?.key;
}

/** `on_duplicate: 'ignore'` skips only an identical tuple; one with another condition still fails. */
function identicalTupleExists(engine: LocalFga, storeId: string, key: TupleKey): boolean {
  const stored = storedTuple(engine, storeId, key);
  if (stored === undefined) return false;
  return canonicalJson(stored.condition ?? null) === canonicalJson(key.condition ?? null);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .filter((name) => value[name] !== undefined)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
