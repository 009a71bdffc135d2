import type { WriteAuthorizationModelRequest } from '../engine/types';
import { validationError } from './api-error';
import { isObject, optionalString, pageSize, ulid } from './request-fields';
import type { Route } from './route';

/** `/stores/{store_id}/authorization-models`: write, list, read. */
export const modelRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/stores\/([^/]+)\/authorization-models$/,
    async handle({ engine, params: [storeId = ''], body }) {
      ulid(storeId, 'WriteAuthorizationModelRequest.StoreId');
      const request = await body();
      if (!Array.isArray(request.type_definitions) || request.type_definitions.length === 0) {
        throw validationError(
          'invalid WriteAuthorizationModelRequest.TypeDefinitions: value must contain at least 1 item(s)',
        );
      }
      if (typeof request.schema_version !== 'string' || request.schema_version === '') {
        throw validationError('invalid WriteAuthorizationModelRequest.SchemaVersion: value is required');
      }
      if (request.conditions !== undefined && request.conditions !== null && !isObject(request.conditions)) {
        throw validationError('invalid WriteAuthorizationModelRequest.Conditions: value must be an object');
      }
      // Type definitions and conditions go to the engine as sent: it validates the model (OpenFGA's codes).
      const model = {
        schema_version: request.schema_version,
        type_definitions: request.type_definitions,
        ...(isObject(request.conditions) && { conditions: request.conditions }),
      } as WriteAuthorizationModelRequest;
      return { status: 201, body: engine.writeAuthorizationModel(storeId, model) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/stores\/([^/]+)\/authorization-models$/,
    handle({ engine, params: [storeId = ''], query }) {
      const page = {
        page_size: pageSize(query.get('page_size')),
        continuation_token: optionalString(query.get('continuation_token'), 'continuation_token'),
      };
      return {
        status: 200,
        body: engine.readAuthorizationModels(ulid(storeId, 'ReadAuthorizationModelsRequest.StoreId'), page),
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/stores\/([^/]+)\/authorization-models\/([^/]+)$/,
    handle({ engine, params: [storeId = '', modelId = ''] }) {
      const model = engine.readAuthorizationModel(
        ulid(storeId, 'ReadAuthorizationModelRequest.StoreId'),
        ulid(modelId, 'ReadAuthorizationModelRequest.Id'),
      );
      return { status: 200, body: { authorization_model: model } };
    },
  },
];
