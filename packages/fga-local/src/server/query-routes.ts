import type { BatchCheckItem, UserTypeFilter } from '../engine/types';
import { validationError } from './api-error';
import {
  checkConsistency,
  contextualTuples,
  flatContextualTuples,
  isObject,
  optionalObject,
  optionalUlid,
  requiredString,
  tupleKey,
  ulid,
} from './request-fields';
import type { OpenFgaServerLimits, Route } from './route';

const correlationIdPattern = /^[\w\d-]{1,36}$/;

/** The evaluating endpoints: check, batch check, list objects (plain and streamed), list users. */
export const queryRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/check$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'CheckRequest.StoreId');
      const request = await body();
      checkConsistency(request.consistency);
      const { user, relation, object } = tupleKey(request.tuple_key, 'CheckRequest.TupleKey');
      const { allowed } = engine.check(storeId, {
        authorization_model_id: optionalUlid(
          request.authorization_model_id,
          'CheckRequest.AuthorizationModelId',
        ),
        tuple_key: { user, relation, object },
        contextual_tuples: contextualTuples(
          request.contextual_tuples,
          limits.maxContextualTuples,
          'CheckRequest',
        ),
        context: optionalObject(request.context, 'CheckRequest.Context'),
      });
      return { status: 200, body: { allowed, resolution: '' } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/expand$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'ExpandRequest.StoreId');
      const request = await body();
      checkConsistency(request.consistency);
      const key = isObject(request.tuple_key) ? request.tuple_key : {};
      const response = engine.expand(storeId, {
        authorization_model_id: optionalUlid(
          request.authorization_model_id,
          'ExpandRequest.AuthorizationModelId',
        ),
        tuple_key: {
          relation: requiredString(key.relation, 'ExpandRequest.TupleKey.Relation'),
          object: requiredString(key.object, 'ExpandRequest.TupleKey.Object'),
        },
        contextual_tuples: contextualTuples(
          request.contextual_tuples,
          limits.maxContextualTuples,
          'ExpandRequest',
        ),
      });
      return { status: 200, body: response };
    },
  },
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/batch-check$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'BatchCheckRequest.StoreId');
      const request = await body();
      checkConsistency(request.consistency);
      const checks = batchCheckItems(request.checks, limits);
      const response = engine.batchCheck(storeId, {
        authorization_model_id: optionalUlid(
          request.authorization_model_id,
          'BatchCheckRequest.AuthorizationModelId',
        ),
        checks,
      });
      return { status: 200, body: response };
    },
  },
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/list-objects$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'ListObjectsRequest.StoreId');
      const { objects } = engine.listObjects(storeId, listObjectsRequest(await body(), limits));
      return { status: 200, body: { objects } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/streamed-list-objects$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'StreamedListObjectsRequest.StoreId');
      const { objects } = engine.listObjects(storeId, listObjectsRequest(await body(), limits));
      return { status: 200, lines: objects.map((object) => ({ result: { object } })) };
    },
  },
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/list-users$/,
    async handle({ engine, limits, params: [id = ''], body }) {
      const storeId = ulid(id, 'ListUsersRequest.StoreId');
      const request = await body();
      checkConsistency(request.consistency);
      const object = optionalObject(request.object, 'ListUsersRequest.Object');
      if (!object) throw validationError('invalid ListUsersRequest.Object: value is required');
      const response = engine.listUsers(storeId, {
        authorization_model_id: optionalUlid(
          request.authorization_model_id,
          'ListUsersRequest.AuthorizationModelId',
        ),
        object: {
          type: requiredString(object.type, 'Object.Type'),
          id: requiredString(object.id, 'Object.Id'),
        },
        relation: requiredString(request.relation, 'ListUsersRequest.Relation'),
        user_filters: userFilters(request.user_filters),
        contextual_tuples: flatContextualTuples(
          request.contextual_tuples,
          limits.maxContextualTuples,
          'ListUsersRequest',
        ),
        context: optionalObject(request.context, 'ListUsersRequest.Context'),
      });
      return { status: 200, body: response };
    },
  },
];

function listObjectsRequest(request: Record<string, unknown>, limits: OpenFgaServerLimits) {
  checkConsistency(request.consistency);
  return {
    authorization_model_id: optionalUlid(
      request.authorization_model_id,
      'ListObjectsRequest.AuthorizationModelId',
    ),
    type: requiredString(request.type, 'ListObjectsRequest.Type'),
    relation: requiredString(request.relation, 'ListObjectsRequest.Relation'),
    user: requiredString(request.user, 'ListObjectsRequest.User'),
    contextual_tuples: contextualTuples(
      request.contextual_tuples,
      limits.maxContextualTuples,
      'ListObjectsRequest',
    ),
    context: optionalObject(request.context, 'ListObjectsRequest.Context'),
  };
}

function batchCheckItems(value: unknown, limits: OpenFgaServerLimits): BatchCheckItem[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw validationError('invalid BatchCheckRequest.Checks: value must contain at least 1 item(s)');
  }
  if (value.length > limits.maxChecksPerBatchCheck) {
    throw validationError(
      `batchCheck received ${value.length} checks, the maximum allowed is ${limits.maxChecksPerBatchCheck}`,
    );
  }
  const seen = new Set<string>();
  return value.map((item, index) => {
    const field = `BatchCheckRequest.Checks[${index}]`;
    if (!isObject(item)) throw validationError(`invalid ${field}: value is required`);
    const correlationId = requiredString(item.correlation_id, `${field}.CorrelationId`);
    if (!correlationIdPattern.test(correlationId)) {
      throw validationError(
        `invalid ${field}.CorrelationId: value does not match regex pattern "^[\\w\\d-]{1,36}$"`,
      );
    }
    if (seen.has(correlationId)) throw validationError(`duplicate correlation_id provided: ${correlationId}`);
    seen.add(correlationId);
    const { user, relation, object } = tupleKey(item.tuple_key, `${field}.TupleKey`);
    return {
      tuple_key: { user, relation, object },
      contextual_tuples: contextualTuples(
        item.contextual_tuples,
        limits.maxContextualTuples,
        'BatchCheckItem',
      ),
      context: optionalObject(item.context, `${field}.Context`),
      correlation_id: correlationId,
    };
  });
}

function userFilters(value: unknown): UserTypeFilter[] {
  if (!Array.isArray(value) || value.length !== 1) {
    throw validationError('invalid ListUsersRequest.UserFilters: value must contain exactly 1 item(s)');
  }
  return value.map((filter) => {
    if (!isObject(filter))
      throw validationError('invalid ListUsersRequest.UserFilters[0]: value is required');
    const relation = filter.relation;
    return {
      type: requiredString(filter.type, 'UserTypeFilter.Type'),
      ...(typeof relation === 'string' && relation !== '' && { relation }),
    };
  });
}
