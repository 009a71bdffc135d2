import { createSession } from '@agentgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FgaAuthorizer } from '../src';
import { type SeededFga, startSeededFga } from './support/fga-server';
import { alice, bob, carol, localAuthorizer, serverAuthorizer } from './support/fixtures';
import { type CountingProxy, startCountingProxy } from './support/proxy';

let fga: SeededFga;
let proxy: CountingProxy;

beforeAll(async () => {
  fga = await startSeededFga();
  proxy = await startCountingProxy(fga.server.apiUrl);
});
afterAll(async () => {
  await proxy?.close();
  await fga?.close();
});
beforeEach(() => proxy.reset());

const backends: [string, () => FgaAuthorizer][] = [
  ['through @openfga/sdk and the server', () => serverAuthorizer(fga, proxy.url)],
  ['in-process over the engine', () => localAuthorizer(fga)],
];

describe.each(backends)('createFgaAuthorizer %s', (_name, make) => {
  it('checks the session user: through a folder, directly, and not when blocked', async () => {
    const authorizer = make();
    await expect(authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d2' })).resolves.toBe(
      true,
    );
    await expect(authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d0' })).resolves.toBe(
      false,
    );
    await expect(authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d3' })).resolves.toBe(
      false,
    );
    await expect(authorizer.check({ session: bob, relation: 'viewer', object: 'doc:d10' })).resolves.toBe(
      true,
    );
    await expect(authorizer.check({ session: bob, relation: 'viewer', object: 'doc:d2' })).resolves.toBe(
      false,
    );
  });

  it('answers a batch check in input order, a repeated item the same', async () => {
    const authorizer = make();
    const objects = ['doc:d2', 'doc:d3', 'doc:d0', 'doc:d2', 'doc:d998'];
    const answers = await authorizer.batchCheck({
      session: alice,
      checks: objects.map((object) => ({ relation: 'viewer', object })),
    });
    expect(answers).toEqual([true, false, false, true, true]);
  });

  it('lists the objects the session user can see', async () => {
    const objects = await make().listObjects({ session: bob, relation: 'viewer', type: 'doc' });
    expect(objects.sort()).toEqual(Array.from({ length: 100 }, (_, index) => `doc:d${index * 10}`).sort());
    await expect(make().listObjects({ session: carol, relation: 'viewer', type: 'doc' })).resolves.toEqual(
      [],
    );
  });

  it('changes answers with contextual tuples, and never merges them with the plain question', async () => {
    const authorizer = make();
    const extra = [{ user: 'user:carol', relation: 'viewer', object: 'doc:d7' }];
    const answers = await authorizer.batchCheck({
      session: carol,
      checks: [
        { relation: 'viewer', object: 'doc:d7' },
        { relation: 'viewer', object: 'doc:d7', contextualTuples: extra },
        { relation: 'viewer', object: 'doc:d7' },
      ],
    });
    expect(answers).toEqual([false, true, false]);
    await expect(
      authorizer.check({ session: carol, relation: 'viewer', object: 'doc:d7', contextualTuples: extra }),
    ).resolves.toBe(true);
  });

  it('evaluates conditions with the context, and never merges two contexts', async () => {
    const authorizer = make();
    const object = 'doc:shared-until-2030';
    await authorizer.writeTuples([
      {
        user: 'user:carol',
        relation: 'viewer',
        object,
        condition: { name: 'before_deadline', context: { deadline: '2030-01-01T00:00:00Z' } },
      },
    ]);
    const before = { now: '2029-06-01T00:00:00Z' };
    const after = { now: '2031-06-01T00:00:00Z' };
    const answers = await authorizer.batchCheck({
      session: carol,
      checks: [
        { relation: 'viewer', object, context: before },
        { relation: 'viewer', object, context: after },
        { relation: 'viewer', object, context: { ...before } },
      ],
    });
    expect(answers).toEqual([true, false, true]);
    const turn = authorizer.forTurn();
    await expect(turn.check({ session: carol, relation: 'viewer', object, context: before })).resolves.toBe(
      true,
    );
    await expect(turn.check({ session: carol, relation: 'viewer', object, context: after })).resolves.toBe(
      false,
    );
    // No context: the condition cannot be evaluated, so nothing is allowed.
    await expect(
      turn.batchCheck({ session: carol, checks: [{ relation: 'viewer', object }] }),
    ).resolves.toEqual([false]);
    await authorizer.deleteTuples([{ user: 'user:carol', relation: 'viewer', object }]);
  });

  it('writes and deletes tuples for documents an app indexes, beyond one write request', async () => {
    const authorizer = make();
    const tuples = Array.from({ length: 150 }, (_, index) => ({
      user: 'user:carol',
      relation: 'viewer',
      object: `doc:indexed-${index}`,
    }));
    await authorizer.writeTuples(tuples);
    await expect(
      authorizer.batchCheck({
        session: carol,
        checks: tuples.map(({ object }) => ({ relation: 'viewer', object })),
      }),
    ).resolves.toEqual(tuples.map(() => true));
    await authorizer.deleteTuples(tuples);
    await expect(
      authorizer.check({ session: carol, relation: 'viewer', object: 'doc:indexed-149' }),
    ).resolves.toBe(false);
  });

  it('rejects a question the model does not know with a typed error', async () => {
    await expect(
      make().check({ session: alice, relation: 'editor', object: 'doc:d2' }),
    ).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      reason: 'rejected',
      operation: 'check',
    });
  });

  it('takes the FGA user from the session through the user option', async () => {
    const authorizer =
      _name === 'in-process over the engine'
        ? localAuthorizer(fga, { user: (session) => `user:${session.user.email?.split('@')[0]}` })
        : serverAuthorizer(fga, proxy.url, {
            user: (session) => `user:${session.user.email?.split('@')[0]}`,
          });
    const session = createSession({ sub: 'auth0|123', email: 'bob@acme.example' });
    expect(authorizer.userOf(session)).toBe('user:bob');
    await expect(authorizer.check({ session, relation: 'viewer', object: 'doc:d10' })).resolves.toBe(true);
  });
});

describe('the default FGA user', () => {
  it.each([
    ['a userset', 'staff#member'],
    ['the wildcard', '*'],
    ['a typed id', 'group:staff'],
    ['whitespace', 'alice '],
    ['a control character', 'alice\u0000'],
  ])('refuses a subject that is %s: the session is denied, nothing is asked', async (_name, sub) => {
    const session = createSession({ sub });
    for (const authorizer of [serverAuthorizer(fga, proxy.url), localAuthorizer(fga)]) {
      expect(() => authorizer.userOf(session)).toThrow(
        expect.objectContaining({ code: 'NO_SESSION', message: expect.stringMatching(/user option/) }),
      );
      await expect(authorizer.check({ session, relation: 'viewer', object: 'doc:d2' })).rejects.toMatchObject(
        { code: 'NO_SESSION' },
      );
      await expect(
        authorizer.filterDocuments([{ id: 'd2' }], {
          session,
          relation: 'viewer',
          object: (doc) => `doc:${doc.id}`,
        }),
      ).rejects.toMatchObject({ code: 'NO_SESSION' });
    }
    expect(proxy.total()).toBe(0);
  });

  it('is left to the user option when the subject needs a mapping (issuers, tenants)', () => {
    const authorizer = localAuthorizer(fga, {
      user: (session) => `user:${session.tenant}.${session.user.sub.replaceAll('|', '_')}`,
    });
    expect(authorizer.userOf(createSession({ sub: 'auth0|1', tenant: 'acme' }))).toBe('user:acme.auth0_1');
    expect(authorizer.userOf(createSession({ sub: 'auth0|1', tenant: 'evil' }))).toBe('user:evil.auth0_1');
  });
});

describe('FgaAuthorizer.forTurn', () => {
  it('asks a repeated question once per turn, and again in a new turn', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const turn = authorizer.forTurn();
    await turn.check({ session: alice, relation: 'viewer', object: 'doc:d2' });
    await turn.check({ session: alice, relation: 'viewer', object: 'doc:d2' });
    await turn.batchCheck({ session: alice, checks: [{ relation: 'viewer', object: 'doc:d2' }] });
    expect(proxy.total()).toBe(1);
    // Another user's identical question is another question.
    await turn.check({ session: bob, relation: 'viewer', object: 'doc:d2' });
    expect(proxy.total()).toBe(2);
    await authorizer.forTurn().check({ session: alice, relation: 'viewer', object: 'doc:d2' });
    expect(proxy.total()).toBe(3);
  });

  it('shares one request between questions asked at the same time', async () => {
    const turn = serverAuthorizer(fga, proxy.url).forTurn();
    const question = { session: alice, relation: 'viewer', object: 'doc:d4' };
    await expect(Promise.all([turn.check(question), turn.check(question)])).resolves.toEqual([true, true]);
    expect(proxy.total()).toBe(1);
  });

  it('memoises inside runTurn for the authorizer and its guards', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    await authorizer.runTurn(async () => {
      await authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d6' });
      await authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d6' });
    });
    expect(proxy.total()).toBe(1);
    await authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d6' });
    await authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d6' });
    expect(proxy.total()).toBe(3); // outside a turn, nothing is memoised
  });
});

describe('decision cache', () => {
  it('is off by default, and when on keeps an answer (even a revoked one) until it expires', async () => {
    const plain = serverAuthorizer(fga, proxy.url);
    await plain.check({ session: carol, relation: 'viewer', object: 'doc:d11' });
    await plain.check({ session: carol, relation: 'viewer', object: 'doc:d11' });
    expect(proxy.total()).toBe(2);

    proxy.reset();
    const cached = serverAuthorizer(fga, proxy.url, { cache: { ttlSeconds: 30 } });
    await cached.writeTuples([{ user: 'user:carol', relation: 'viewer', object: 'doc:d11' }]);
    await expect(cached.check({ session: carol, relation: 'viewer', object: 'doc:d11' })).resolves.toBe(true);
    await cached.deleteTuples([{ user: 'user:carol', relation: 'viewer', object: 'doc:d11' }]);
    // The trade: the cache still says yes after the revocation, without asking.
    await expect(cached.check({ session: carol, relation: 'viewer', object: 'doc:d11' })).resolves.toBe(true);
    expect(proxy.counts.get('/check')).toBe(1);
  });
});
