import type { AgentSession } from '@agentgate/core';
import { expectTypeOf, test } from 'vitest';
import { createFgaAuthorizer } from '../src/index';

declare const session: AgentSession;
const fga = createFgaAuthorizer({ apiUrl: 'http://127.0.0.1:8080', storeId: '01HZZZZZZZZZZZZZZZZZZZZZZZ' });

interface Hit {
  metadata: { id: string };
}
declare const store: { search(options: { offset: number; limit: number; filter: unknown }): Promise<Hit[]> };

test("retrieveDocuments infers the document type from fetch (written first) or from object's parameter", async () => {
  const fromFetch = await fga.retrieveDocuments({
    session,
    relation: 'viewer',
    type: 'doc',
    k: 5,
    fetch: ({ offset, limit, allowed }) =>
      store.search({ offset, limit, filter: allowed && { id: { $in: [...allowed.ids] } } }),
    object: (hit) => `doc:${hit.metadata.id}`,
  });
  if (fromFetch.success) expectTypeOf(fromFetch.documents).toEqualTypeOf<Hit[]>();
  const fromObject = await fga.retrieveDocuments({
    session,
    relation: 'viewer',
    type: 'doc',
    object: (hit: Hit) => `doc:${hit.metadata.id}`,
    k: 5,
    fetch: ({ offset, limit }) => store.search({ offset, limit, filter: undefined }),
  });
  if (fromObject.success) expectTypeOf(fromObject.documents).toEqualTypeOf<Hit[]>();
  else expectTypeOf(fromObject.documents).toEqualTypeOf<[]>();
});

test('a guard derives contextual tuples and context from the arguments only with trustArguments: true', () => {
  fga.guard<{ id: string; folder: string }>({
    relation: 'viewer',
    object: (args) => `doc:${args.id}`,
    // @ts-expect-error the default callbacks receive { session } only
    contextualTuples: ({ args }) => [
      { user: `folder:${args.folder}`, relation: 'parent', object: `doc:${args.id}` },
    ],
  });
  fga.guard<{ id: string; at: string }>({
    relation: 'viewer',
    object: (args) => `doc:${args.id}`,
    // @ts-expect-error the model must not choose the time a condition is evaluated at
    context: ({ args }) => ({ now: args.at }),
  });
  fga.guard<{ id: string; folder: string }>({
    relation: 'viewer',
    object: (args) => `doc:${args.id}`,
    context: async ({ session: user }) => ({ now: new Date().toISOString(), tenant: user.tenant ?? '' }),
  });
  fga.guard<{ id: string; folder: string }>({
    relation: 'viewer',
    object: (args) => `doc:${args.id}`,
    trustArguments: true,
    contextualTuples: ({ args, session: user }) => {
      expectTypeOf(args).toEqualTypeOf<{ id: string; folder: string }>();
      expectTypeOf(user).toEqualTypeOf<AgentSession>();
      return [{ user: `folder:${args.folder}`, relation: 'parent', object: `doc:${args.id}` }];
    },
  });
});
