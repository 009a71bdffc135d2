import { createLocalFga } from '@agentgate/fga-local';
import { describe, expect, it } from 'vitest';
import { createFgaAuthorizer } from '../src';
import { alice } from './support/fixtures';

describe('createFgaAuthorizer options', () => {
  const server = { apiUrl: 'http://127.0.0.1:1', storeId: '01HZZZZZZZZZZZZZZZZZZZZZZZ' };

  it.each([
    ['no options', undefined, /options must be an object/],
    [
      'a misspelt option',
      { ...server, batchsize: 10 },
      /unknown options.batchsize \(did you mean batchSize\?\)/,
    ],
    ['no store', { apiUrl: server.apiUrl }, /storeId/],
    ['a bad URL', { ...server, apiUrl: 'localhost:8080' }, /apiUrl/],
    ['a batch size of 0', { ...server, batchSize: 0 }, /batchSize/],
    ['a fractional timeout', { ...server, timeoutMs: 1.5 }, /timeoutMs/],
    ['a cache without TTL', { ...server, cache: {} }, /ttlSeconds/],
    ['an unknown consistency', { ...server, consistency: 'STRONG' }, /consistency/],
    ['a user that is not a function', { ...server, user: 'user:alice' }, /user must be a function/],
    ['an audit that is neither sink nor log', { ...server, audit: {} }, /audit/],
    [
      'server options beside an engine',
      { local: createLocalFga(), storeId: 'x', apiUrl: 'http://x' },
      /unknown/,
    ],
    ['something that is not an engine', { local: {}, storeId: 'x' }, /fga-local's engine/],
    ['a store id that is not a ULID', { ...server, storeId: 'my-store' }, /storeId must be an OpenFGA id/],
    [
      'a model id that is not a ULID',
      { ...server, authorizationModelId: 'abc' },
      /authorizationModelId must be an OpenFGA id/,
    ],
    ['an empty model id', { ...server, authorizationModelId: '' }, /authorizationModelId/],
    [
      'more retries than the SDK allows',
      { ...server, retry: { maxRetry: 20 } },
      /retry.maxRetry must be at most 15/,
    ],
    [
      'credentials the SDK refuses',
      { ...server, credentials: { method: 'api_token', config: {} } },
      /@openfga\/sdk refuses the configuration/,
    ],
  ])('refuses %s with a TypeError at creation', (_name, options, message) => {
    expect(() => createFgaAuthorizer(options as never)).toThrow(TypeError);
    expect(() => createFgaAuthorizer(options as never)).toThrow(message);
  });

  it('takes an option set to undefined as not given', () => {
    const engine = createLocalFga();
    const { id: storeId } = engine.createStore({ name: 'undefined-options' });
    expect(() => createFgaAuthorizer({ ...server, local: undefined })).not.toThrow();
    expect(() =>
      createFgaAuthorizer({
        local: engine,
        storeId,
        apiUrl: undefined,
        credentials: undefined,
        retry: undefined,
        consistency: undefined,
      }),
    ).not.toThrow();
    expect(() => createFgaAuthorizer({ ...server, credentials: undefined, retry: undefined })).not.toThrow();
  });

  it('keeps the client secret out of a configuration error', () => {
    const clientSecret = 'cs-7Hq2Lw9Xp4Vn8Rt';
    const create = () =>
      createFgaAuthorizer({
        ...server,
        credentials: {
          method: 'client_credentials',
          config: { clientId: 'a', clientSecret, apiTokenIssuer: `bad ${clientSecret}`, apiAudience: 'b' },
        },
      } as never);
    expect(create).toThrow(TypeError);
    expect(create).not.toThrow(clientSecret);
  });

  it('refuses malformed guard and filter options at once', async () => {
    const fga = createFgaAuthorizer(server);
    expect(() => fga.guard({ relation: 'viewer', object: 'doc:1' } as never)).toThrow(
      /object must be a function/,
    );
    expect(() => fga.guard({ relation: 'viewer', object: String, relations: [] } as never)).toThrow(
      /unknown/,
    );
    await expect(
      fga.filterDocuments([], {
        session: alice,
        relation: 'viewer',
        object: String,
        strategy: 'fast',
      } as never),
    ).rejects.toThrow(/strategy/);
    await expect(
      fga.filterDocuments([], { session: {}, relation: 'viewer', object: String } as never),
    ).rejects.toThrow(/session/);
    // A hand-built session missing a field is no session either (core's isAgentSession).
    const { scopes: _scopes, ...withoutScopes } = alice;
    await expect(
      fga.filterDocuments([], { session: withoutScopes, relation: 'viewer', object: String } as never),
    ).rejects.toThrow(/session must be an AgentSession/);
    await expect(fga.check({ session: alice, relation: 'viewer', object: 'd2' })).rejects.toThrow(TypeError);
  });
});
