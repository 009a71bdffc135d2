import type { StoreInfo } from '../engine/types';
import { validationError } from './api-error';
import { optionalString, pageSize, requiredString, ulid } from './request-fields';
import type { Route } from './route';

/** `/stores`: create, list, get, delete. */
export const storeRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/stores$/,
    async handle({ engine, body }) {
      const request = await body();
      const name = requiredString(request.name, 'CreateStoreRequest.Name');
      if ([...name].length < 3 || [...name].length > 64) {
        throw validationError('invalid CreateStoreRequest.Name: value length must be between 3 and 64 runes');
      }
      return { status: 201, body: engine.createStore({ name }) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/stores$/,
    handle({ engine, query }) {
      const name = optionalString(query.get('name'), 'name');
      const page = {
        page_size: pageSize(query.get('page_size')),
        continuation_token: optionalString(query.get('continuation_token'), 'continuation_token'),
      };
      if (name === undefined) return { status: 200, body: engine.listStores(page) };
      // OpenFGA filters by exact name; the engine does not, so walk every page and answer the matches at once.
      const stores: StoreInfo[] = [];
      let continuationToken: string | undefined;
      do {
        const listed = engine.listStores({ page_size: 100, continuation_token: continuationToken });
        stores.push(...listed.stores.filter((store) => store.name === name));
        continuationToken = listed.continuation_token || undefined;
      } while (continuationToken);
      return { status: 200, body: { stores, continuation_token: '' } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/stores\/([^/]+)$/,
    handle({ engine, params: [storeId = ''] }) {
      return { status: 200, body: engine.getStore(ulid(storeId, 'GetStoreRequest.StoreId')) };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/stores\/([^/]+)$/,
    handle({ engine, params: [storeId = ''] }) {
      engine.deleteStore(ulid(storeId, 'DeleteStoreRequest.StoreId'));
      return { status: 204 };
    },
  },
];
