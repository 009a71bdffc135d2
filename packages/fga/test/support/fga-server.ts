import {
  createLocalFga,
  type LocalFga,
  type OpenFgaServer,
  startOpenFgaServer,
  type TupleKey,
} from '@agentgate/fga-local';

/**
 * The test model: folders and documents as in the dev server's seed, a condition for time-bound shares, and tools.
 * A document's viewers are its direct viewers (users, group members, users until a deadline), its owner, and the
 * viewers of its folder — except users blocked on it.
 */
export const MODEL = `model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type folder
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, group#member] or owner or viewer from parent

type doc
  relations
    define parent: [folder]
    define owner: [user]
    define blocked: [user]
    define viewer: ([user, group#member, user with before_deadline] or owner or viewer from parent) but not blocked

type tool
  relations
    define can_use: [user, group#member]

condition before_deadline(now: timestamp, deadline: timestamp) {
  now < deadline
}
`;

/** How many documents the seeded corpus holds: `doc:d0` … `doc:d999`. */
export const DOCUMENTS = 1000;

/**
 * Who sees what: alice (group `staff`) sees every even document through the folder `staff-docs`, except `doc:d0`
 * where she is blocked; bob sees every tenth document directly; carol sees nothing.
 */
export function aliceSees(index: number): boolean {
  return index % 2 === 0 && index !== 0;
}
export function bobSees(index: number): boolean {
  return index % 10 === 0;
}

export function seedTuples(): TupleKey[] {
  const tuples: TupleKey[] = [
    { user: 'user:alice', relation: 'member', object: 'group:staff' },
    { user: 'group:staff#member', relation: 'viewer', object: 'folder:staff-docs' },
    { user: 'user:alice', relation: 'blocked', object: 'doc:d0' },
    { user: 'user:alice', relation: 'can_use', object: 'tool:search_docs' },
    { user: 'group:staff#member', relation: 'can_use', object: 'tool:summarize' },
    { user: 'user:bob', relation: 'can_use', object: 'tool:search_docs' },
    { user: 'user:bob', relation: 'can_use', object: 'tool:refund' },
  ];
  for (let index = 0; index < DOCUMENTS; index++) {
    const object = `doc:d${index}`;
    tuples.push({ user: `folder:${index % 2 === 0 ? 'staff-docs' : 'other'}`, relation: 'parent', object });
    if (bobSees(index)) tuples.push({ user: 'user:bob', relation: 'viewer', object });
  }
  return tuples;
}

export interface SeededFga {
  server: OpenFgaServer;
  engine: LocalFga;
  storeId: string;
  modelId: string;
  close(): Promise<void>;
}

/** fga-local's OpenFGA server on loopback, seeded in-process (the engine behind it is shared). */
export async function startSeededFga(): Promise<SeededFga> {
  const engine = createLocalFga();
  const server = await startOpenFgaServer({ engine });
  const { id: storeId } = engine.createStore({ name: 'fga-tests' });
  const { authorization_model_id: modelId } = engine.writeAuthorizationModelFromDsl(storeId, MODEL);
  const tuples = seedTuples();
  for (let start = 0; start < tuples.length; start += 100) {
    engine.write(storeId, { writes: tuples.slice(start, start + 100) });
  }
  return { server, engine, storeId, modelId, close: () => server.close() };
}
