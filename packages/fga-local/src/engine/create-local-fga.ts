import { transformer } from '@openfga/syntax-transformer';
import { FgaError } from './errors';
import { expandRelation } from './internal/expand';
import { ulid } from './internal/ids';
import { findUsers } from './internal/list-users';
import { type CompiledModel, type CompiledRelation, compileModel } from './internal/model';
import { parseObject } from './internal/parse';
import { readTuples } from './internal/read-tuples';
import { paginate, requireContext, requireRequest, requireString } from './internal/request-fields';
import { ResolutionBudget } from './internal/resolution-budget';
import { type Outcome, Resolver } from './internal/resolver';
import { reverseExpand } from './internal/reverse-expand';
import { TupleIndex, type TupleRecord, tupleId } from './internal/tuple-index';
import { validateRequestUser, validateTuple } from './internal/validate';
import type {
  AuthorizationModel,
  BatchCheckRequest,
  BatchCheckResponse,
  CheckRequest,
  CheckResponse,
  ExpandRequest,
  ExpandResponse,
  ListObjectsRequest,
  ListObjectsResponse,
  ListStoresResponse,
  ListUsersRequest,
  ListUsersResponse,
  LocalFga,
  LocalFgaOptions,
  ReadAuthorizationModelsResponse,
  ReadRequest,
  ReadResponse,
  StoreInfo,
  TupleKey,
  WriteAuthorizationModelRequest,
  WriteRequest,
} from './types';

interface StoreState {
  info: StoreInfo;
  models: CompiledModel[];
  modelsById: Map<string, CompiledModel>;
  tuples: TupleIndex;
  sequence: number;
}

/**
 * Resolution steps one request may take by default: far above what real models need (listing the readable
 * ones of 10,000 documents in folders five deep takes about 43,000), yet it stops a pathological
 * model in well under a second instead of blocking the event loop for hours.
 */
const DEFAULT_MAX_RESOLUTION_STEPS_PER_REQUEST = 1_000_000;

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`createLocalFga: ${name} must be a positive integer`);
  }
  return value;
}

function unwrap(outcome: Outcome): boolean {
  if (outcome instanceof FgaError) throw outcome;
  return outcome === true;
}

/**
 * Creates the in-process OpenFGA-compatible engine. Everything lives in memory; all methods are synchronous.
 *
 * @example
 * const fga = createLocalFga();
 * const { id } = fga.createStore({ name: 'demo' });
 * fga.writeAuthorizationModelFromDsl(id, 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]');
 * fga.write(id, { writes: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }] });
 * fga.check(id, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' } }); // { allowed: true }
 *
 * @param options.maxResolutionDepth maximum resolution depth (default 25; deeper → error 2002)
 * @param options.maxResolutionStepsPerRequest resolution steps (into an `object#relation`, memoised or not,
 *   or over a userset / parent tuple) one check, batch check, list objects or list users may take
 *   (default 1,000,000; more → error 2002)
 * @param options.maxTypesPerModel maximum type definitions per model (default 100)
 * @param options.maxTuplesPerWrite maximum writes + deletes per request, also caps contextual tuples (default 100)
 * @param options.clock milliseconds since the epoch for timestamps and ids (default `Date.now`)
 * @throws TypeError on invalid options
 */
export function createLocalFga(options: LocalFgaOptions = {}): LocalFga {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createLocalFga: options must be an object');
  const maxDepth = positiveInteger('maxResolutionDepth', options.maxResolutionDepth, 25);
  const maxResolutionSteps = positiveInteger(
    'maxResolutionStepsPerRequest',
    options.maxResolutionStepsPerRequest,
    DEFAULT_MAX_RESOLUTION_STEPS_PER_REQUEST,
  );
  const maxTypes = positiveInteger('maxTypesPerModel', options.maxTypesPerModel, 100);
  const maxTuplesPerWrite = positiveInteger('maxTuplesPerWrite', options.maxTuplesPerWrite, 100);
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new TypeError('createLocalFga: clock must be a function returning milliseconds');
  }
  const clock = options.clock ?? Date.now;
  const stores = new Map<string, StoreState>();

  const now = () => new Date(clock()).toISOString();

  function store(storeId: string): StoreState {
    const state = typeof storeId === 'string' ? stores.get(storeId) : undefined;
    if (!state) throw new FgaError('store_id_not_found', `store '${String(storeId)}' not found`);
    return state;
  }

  function model(state: StoreState, modelId: string | undefined): CompiledModel {
    if (modelId) {
      const found = state.modelsById.get(modelId);
      if (!found)
        throw new FgaError('authorization_model_not_found', `authorization model '${modelId}' not found`);
      return found;
    }
    const latest = state.models[state.models.length - 1];
    if (!latest)
      throw new FgaError('latest_authorization_model_not_found', 'the store has no authorization model');
    return latest;
  }

  function record(
    state: StoreState,
    tuple: TupleKey,
    compiled: CompiledModel,
    timestamp: string,
  ): TupleRecord {
    const validated = validateTuple(compiled, tuple);
    const key: TupleKey = { user: tuple.user, relation: tuple.relation, object: tuple.object };
    if (tuple.condition) {
      key.condition = { name: tuple.condition.name };
      if (tuple.condition.context) key.condition.context = structuredClone(tuple.condition.context);
    }
    return {
      key,
      object: validated.object,
      user: validated.user,
      conditionName: validated.conditionName,
      timestamp,
      sequence: state.sequence++,
    };
  }

  /** The tuple sources of a query: the store, plus an index of the validated contextual tuples. */
  function sources(
    state: StoreState,
    compiled: CompiledModel,
    contextual: TupleKey[] | undefined,
  ): TupleIndex[] {
    if (contextual === undefined || contextual === null) return [state.tuples];
    if (!Array.isArray(contextual))
      throw new FgaError('validation_error', 'contextual_tuples must be an array');
    if (contextual.length === 0) return [state.tuples];
    if (contextual.length > maxTuplesPerWrite) {
      throw new FgaError('validation_error', `at most ${maxTuplesPerWrite} contextual tuples are allowed`);
    }
    const index = new TupleIndex();
    const timestamp = now();
    for (const tuple of contextual) {
      const entry = record(state, tuple, compiled, timestamp);
      const id = tupleId(tuple.object, tuple.relation, tuple.user);
      if (!index.get(id)) index.add(entry);
    }
    return [state.tuples, index];
  }

  /**
   * One check, spending from `budget` (a batch check's items share their request's budget). `shared` (batch
   * check) reuses one resolver, and so its memo, per user across the items that carry neither contextual
   * tuples nor context, which answer against the same tuples.
   */
  function checkOne(
    state: StoreState,
    compiled: CompiledModel,
    request: Omit<CheckRequest, 'authorization_model_id'>,
    budget: ResolutionBudget,
    shared?: Map<string, Resolver>,
  ): boolean {
    const tupleKey = request.tuple_key;
    if (typeof tupleKey !== 'object' || tupleKey === null)
      throw new FgaError('validation_error', 'tuple_key is required');
    const object = parseObject(tupleKey.object);
    if (!object) throw new FgaError('validation_error', `invalid object '${String(tupleKey.object)}'`);
    const relation = requireString(tupleKey.relation, 'tuple_key.relation');
    const user = validateRequestUser(compiled, tupleKey.user);
    const type = compiled.types.get(object.type);
    if (!type) throw new FgaError('validation_error', `type '${object.type}' not found`);
    if (!type.relations.has(relation)) {
      throw new FgaError('validation_error', `relation '${object.type}#${relation}' not found`);
    }
    const context = requireContext(request.context);
    const plain =
      shared !== undefined &&
      context === undefined &&
      (request.contextual_tuples === undefined ||
        (Array.isArray(request.contextual_tuples) && request.contextual_tuples.length === 0));
    let resolver = plain ? shared.get(user.raw) : undefined;
    if (!resolver) {
      const tupleSources = sources(state, compiled, request.contextual_tuples);
      resolver = new Resolver(compiled, tupleSources, user, context, maxDepth, budget);
      if (plain) shared.set(user.raw, resolver);
    }
    return unwrap(resolver.check(object.type, object.id, relation, 0));
  }

  const engine: LocalFga = {
    createStore(input) {
      const name = requireString(input?.name, 'name');
      const timestamp = now();
      const info: StoreInfo = { id: ulid(clock()), name, created_at: timestamp, updated_at: timestamp };
      stores.set(info.id, { info, models: [], modelsById: new Map(), tuples: new TupleIndex(), sequence: 0 });
      return { ...info };
    },

    getStore(storeId) {
      return { ...store(storeId).info };
    },

    listStores(input): ListStoresResponse {
      const all = [...stores.values()].map((state) => ({ ...state.info }));
      const { items, token } = paginate(all, input, 'stores');
      return { stores: items, continuation_token: token };
    },

    deleteStore(storeId) {
      store(storeId);
      stores.delete(storeId);
    },

    writeAuthorizationModel(storeId, request: WriteAuthorizationModelRequest) {
      const state = store(storeId);
      if (typeof request !== 'object' || request === null) {
        throw new FgaError('validation_error', 'an authorization model is required');
      }
      const id = ulid(clock());
      const authorizationModel: AuthorizationModel = structuredClone({
        id,
        schema_version: request.schema_version,
        type_definitions: request.type_definitions,
        ...(request.conditions && Object.keys(request.conditions).length > 0
          ? { conditions: request.conditions }
          : {}),
      });
      const compiled = compileModel(authorizationModel, maxTypes);
      state.models.push(compiled);
      state.modelsById.set(id, compiled);
      return { authorization_model_id: id };
    },

    writeAuthorizationModelFromDsl(storeId, dsl) {
      store(storeId);
      let request: WriteAuthorizationModelRequest;
      try {
        request = transformer.transformDSLToJSONObject(dsl) as unknown as WriteAuthorizationModelRequest;
      } catch (error) {
        throw new FgaError(
          'invalid_authorization_model',
          `the model DSL is invalid: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      return engine.writeAuthorizationModel(storeId, request);
    },

    readAuthorizationModel(storeId, modelId) {
      return structuredClone(model(store(storeId), requireString(modelId, 'authorization_model_id')).model);
    },

    readAuthorizationModels(storeId, page): ReadAuthorizationModelsResponse {
      const newestFirst = [...store(storeId).models].reverse().map((compiled) => compiled.model);
      const { items, token } = paginate(newestFirst, page, `models:${storeId}`);
      return { authorization_models: structuredClone(items), continuation_token: token };
    },

    readLatestAuthorizationModel(storeId) {
      return structuredClone(model(store(storeId), undefined).model);
    },

    write(storeId, request: WriteRequest) {
      const state = store(storeId);
      requireRequest(request);
      const writes = request?.writes ?? [];
      const deletes = request?.deletes ?? [];
      if (!Array.isArray(writes) || !Array.isArray(deletes)) {
        throw new FgaError('validation_error', 'writes and deletes must be arrays');
      }
      if (writes.length === 0 && deletes.length === 0) {
        throw new FgaError('invalid_write_input', 'provide at least one write or one delete');
      }
      if (writes.length + deletes.length > maxTuplesPerWrite) {
        throw new FgaError(
          'exceeded_entity_limit',
          `a write may contain at most ${maxTuplesPerWrite} tuples`,
        );
      }
      const compiled = model(state, request.authorization_model_id);
      const seen = new Set<string>();
      const unique = (tuple: { user: string; relation: string; object: string }) => {
        const id = tupleId(tuple.object, tuple.relation, tuple.user);
        if (seen.has(id)) {
          throw new FgaError(
            'cannot_allow_duplicate_tuples_in_one_request',
            `duplicate tuple in one request: ${id}`,
          );
        }
        seen.add(id);
        return id;
      };
      const deleteIds = deletes.map((tuple) => {
        if (typeof tuple !== 'object' || tuple === null)
          throw new FgaError('validation_error', 'invalid tuple');
        const id = unique(tuple);
        if (!state.tuples.get(id)) {
          throw new FgaError(
            'write_failed_due_to_invalid_input',
            `cannot delete a tuple which does not exist: ${id}`,
          );
        }
        return id;
      });
      const timestamp = now();
      const records = writes.map((tuple) => {
        const entry = record(state, tuple, compiled, timestamp);
        const id = unique(tuple);
        if (state.tuples.get(id)) {
          throw new FgaError(
            'write_failed_due_to_invalid_input',
            `cannot write a tuple which already exists: ${id}`,
          );
        }
        return entry;
      });
      for (const id of deleteIds) state.tuples.remove(id);
      for (const entry of records) state.tuples.add(entry);
    },

    read(storeId, request: ReadRequest = {}): ReadResponse {
      const state = store(storeId);
      requireRequest(request);
      return readTuples(state.tuples, `read:${storeId}`, request);
    },

    check(storeId, request: CheckRequest): CheckResponse {
      const state = store(storeId);
      requireRequest(request);
      const compiled = model(state, request?.authorization_model_id);
      return { allowed: checkOne(state, compiled, request, new ResolutionBudget(maxResolutionSteps)) };
    },

    batchCheck(storeId, request: BatchCheckRequest): BatchCheckResponse {
      const state = store(storeId);
      requireRequest(request);
      const compiled = model(state, request?.authorization_model_id);
      if (!Array.isArray(request.checks) || request.checks.length === 0) {
        throw new FgaError('validation_error', 'checks must contain at least one item');
      }
      const correlationIds = new Set<string>();
      for (const item of request.checks) {
        const id = requireString(item?.correlation_id, 'correlation_id');
        if (correlationIds.has(id))
          throw new FgaError('validation_error', `duplicate correlation_id '${id}'`);
        correlationIds.add(id);
      }
      const result: BatchCheckResponse['result'] = {};
      const resolvers = new Map<string, Resolver>();
      const budget = new ResolutionBudget(maxResolutionSteps);
      for (const item of request.checks) {
        try {
          result[item.correlation_id] = { allowed: checkOne(state, compiled, item, budget, resolvers) };
        } catch (error) {
          const failure = FgaError.isInstance(error)
            ? error
            : new FgaError('internal_error', 'check failed', { cause: error });
          result[item.correlation_id] = {
            error:
              failure.httpStatus >= 500
                ? { internal_error: failure.code, message: failure.message }
                : { input_error: failure.code, message: failure.message },
          };
        }
      }
      return { result };
    },

    listObjects(storeId, request: ListObjectsRequest): ListObjectsResponse {
      const state = store(storeId);
      requireRequest(request);
      const compiled = model(state, request?.authorization_model_id);
      const typeName = requireString(request.type, 'type');
      const relation = requireString(request.relation, 'relation');
      const type = compiled.types.get(typeName);
      if (!type) throw new FgaError('type_not_found', `type '${typeName}' not found`);
      if (!type.relations.has(relation)) {
        throw new FgaError('relation_not_found', `relation '${typeName}#${relation}' not found`);
      }
      const user = validateRequestUser(compiled, request.user);
      const context = requireContext(request.context);
      const tupleSources = sources(state, compiled, request.contextual_tuples);
      const budget = new ResolutionBudget(maxResolutionSteps);
      const resolver = new Resolver(compiled, tupleSources, user, context, maxDepth, budget);
      const candidates = reverseExpand(
        compiled,
        tupleSources,
        user,
        type.relations.get(relation) as CompiledRelation,
      );
      const objects: string[] = [];
      let error: FgaError | undefined;
      for (const id of candidates) {
        const outcome = resolver.check(typeName, id, relation, 0);
        if (outcome === true) objects.push(`${typeName}:${id}`);
        else if (outcome instanceof FgaError) error ??= outcome;
      }
      if (error) throw error;
      return { objects };
    },

    listUsers(storeId, request: ListUsersRequest): ListUsersResponse {
      const state = store(storeId);
      requireRequest(request);
      const compiled = model(state, request?.authorization_model_id);
      const object = request.object;
      if (typeof object !== 'object' || object === null)
        throw new FgaError('validation_error', 'object is required');
      const typeName = requireString(object.type, 'object.type');
      const objectId = requireString(object.id, 'object.id');
      const relation = requireString(request.relation, 'relation');
      const type = compiled.types.get(typeName);
      if (!type) throw new FgaError('type_not_found', `type '${typeName}' not found`);
      if (!type.relations.has(relation)) {
        throw new FgaError('relation_not_found', `relation '${typeName}#${relation}' not found`);
      }
      if (!Array.isArray(request.user_filters) || request.user_filters.length !== 1) {
        throw new FgaError('validation_error', 'user_filters must contain exactly one filter');
      }
      for (const filter of request.user_filters) {
        const filterType = compiled.types.get(filter?.type);
        if (!filterType) throw new FgaError('type_not_found', `type '${String(filter?.type)}' not found`);
        if (filter.relation && !filterType.relations.has(filter.relation)) {
          throw new FgaError('relation_not_found', `relation '${filter.type}#${filter.relation}' not found`);
        }
      }
      const context = requireContext(request.context);
      const tupleSources = sources(state, compiled, request.contextual_tuples);
      const users = findUsers({
        model: compiled,
        sources: tupleSources,
        object: { type: typeName, id: objectId },
        relation,
        filters: request.user_filters,
        context,
        maxDepth,
        budget: new ResolutionBudget(maxResolutionSteps),
      });
      return { users };
    },

    expand(storeId, request: ExpandRequest): ExpandResponse {
      const state = store(storeId);
      requireRequest(request);
      const compiled = model(state, request?.authorization_model_id);
      const tupleKey = request?.tuple_key;
      if (typeof tupleKey !== 'object' || tupleKey === null)
        throw new FgaError('validation_error', 'tuple_key is required');
      const object = parseObject(tupleKey.object);
      if (!object) throw new FgaError('validation_error', `invalid object '${String(tupleKey.object)}'`);
      const relationName = requireString(tupleKey.relation, 'tuple_key.relation');
      const type = compiled.types.get(object.type);
      if (!type) throw new FgaError('type_not_found', `type '${object.type}' not found`);
      const relation = type.relations.get(relationName);
      if (!relation)
        throw new FgaError('relation_not_found', `relation '${object.type}#${relationName}' not found`);
      const tupleSources = sources(state, compiled, request.contextual_tuples);
      return { tree: { root: expandRelation(tupleSources, relation, object.id) } };
    },
  };
  return engine;
}
