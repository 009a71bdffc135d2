import { describe, expect, it } from 'vitest';
import { createLocalFga, FgaError, type LocalFga } from '../src/index';

/** Bodies an HTTP client could send: every one must end in an `FgaError`, never in a crash (a 500). */
const malformed: unknown[] = [
  undefined,
  null,
  5,
  'text',
  [],
  {},
  { tuple_key: null },
  { tuple_key: { user: 5, relation: [], object: {} } },
  { writes: 5 },
  { writes: [null] },
  { deletes: [{}] },
  { checks: null },
  { checks: [null] },
  { checks: [{ correlation_id: 'a', tuple_key: null }] },
  { type: 5, relation: null, user: {} },
  { object: null },
  { object: { type: 'doc', id: 5 }, relation: 'viewer', user_filters: [null] },
  {
    object: { type: 'doc', id: '1' },
    relation: 'viewer',
    user_filters: [{ type: 'user' }],
    contextual_tuples: 'x',
  },
  {
    object: { type: 'doc', id: '1' },
    relation: 'viewer',
    user_filters: [{ type: 'user' }],
    contextual_tuples: [null],
  },
  { tuple_key: { object: 'doc:1', relation: 'viewer', user: 'user:a' }, context: 'x' },
  {
    tuple_key: { object: 'doc:1', relation: 'viewer', user: 'user:a' },
    contextual_tuples: [{ user: 'user:a', relation: 'viewer', object: 'doc:1', condition: 5 }],
  },
  { page_size: 'x' },
  { continuation_token: 5 },
  { tuple_key: { object: 5 } },
  { schema_version: '1.1', type_definitions: [null] },
  { schema_version: '1.1', type_definitions: 'x' },
  { schema_version: 5 },
  { schema_version: '1.1', type_definitions: [{ type: 'u', metadata: 5, relations: { r: { this: {} } } }] },
  {
    schema_version: '1.1',
    type_definitions: [{ type: 'u' }],
    conditions: { c: { expression: 'x', parameters: 5 } },
  },
  { schema_version: '1.1', type_definitions: [{ type: 'u' }], conditions: 5 },
];

const methods = [
  'getStore',
  'listStores',
  'writeAuthorizationModel',
  'writeAuthorizationModelFromDsl',
  'readAuthorizationModel',
  'readAuthorizationModels',
  'readLatestAuthorizationModel',
  'write',
  'read',
  'check',
  'batchCheck',
  'listObjects',
  'listUsers',
  'expand',
  'createStore',
  'deleteStore',
] as const satisfies readonly (keyof LocalFga)[];

describe('LocalFga with malformed input', () => {
  it('throws only FgaError (fail closed with a typed error) for every method and body', () => {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'malformed' });
    fga.writeAuthorizationModelFromDsl(
      storeId,
      'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]',
    );
    const crashes: string[] = [];
    let failures = 0;
    for (const method of methods) {
      const call = fga[method] as (first: unknown, second?: unknown) => unknown;
      for (const body of malformed) {
        for (const store of [storeId, 5, undefined]) {
          const first = method === 'createStore' || method === 'listStores' ? body : store;
          try {
            call.call(fga, first, body);
          } catch (error) {
            failures++;
            if (!FgaError.isInstance(error)) {
              crashes.push(`${method}(${String(first)}, ${JSON.stringify(body)}): ${String(error)}`);
            }
          }
        }
      }
    }
    expect(crashes).toEqual([]);
    expect(failures).toBeGreaterThan(methods.length * malformed.length);
    // deleteStore ran last and took the store with it: the engine kept working throughout.
    expect(() => fga.getStore(storeId)).toThrow(FgaError);
  });
});
