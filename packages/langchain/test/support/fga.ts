import type { AuditLog, AuditSink } from '@agentgate/core';
import { createFgaAuthorizer, type FgaAuthorizer } from '@agentgate/fga';
import { createLocalFga, type OpenFgaServer, startOpenFgaServer, type TupleKey } from '@agentgate/fga-local';

const MODEL = `model
  schema 1.1

type user

type doc
  relations
    define viewer: [user]

type tool
  relations
    define can_use: [user]
`;

/** Who may do what: alice sees every third document and may use `search_docs`; bob may use every tool. */
export const DOCUMENTS = 30;
export const aliceSees = (index: number) => index % 3 === 0;

function seed(): TupleKey[] {
  const tuples: TupleKey[] = [
    { user: 'user:alice', relation: 'can_use', object: 'tool:search_docs' },
    { user: 'user:bob', relation: 'can_use', object: 'tool:search_docs' },
    { user: 'user:bob', relation: 'can_use', object: 'tool:refund_order' },
  ];
  for (let index = 0; index < DOCUMENTS; index++) {
    if (aliceSees(index)) tuples.push({ user: 'user:alice', relation: 'viewer', object: `doc:d${index}` });
  }
  return tuples;
}

export interface LocalFgaServer {
  server: OpenFgaServer;
  storeId: string;
  modelId: string;
  /** An authorizer over the real `@openfga/sdk`, talking HTTP to fga-local's server. */
  authorizer(audit?: AuditSink | AuditLog): FgaAuthorizer;
  close(): Promise<void>;
}

/** fga-local's OpenFGA API on loopback, seeded with the model above. */
export async function startLocalFga(): Promise<LocalFgaServer> {
  const engine = createLocalFga();
  const server = await startOpenFgaServer({ engine });
  const { id: storeId } = engine.createStore({ name: 'langchain-tests' });
  const { authorization_model_id: modelId } = engine.writeAuthorizationModelFromDsl(storeId, MODEL);
  engine.write(storeId, { writes: seed() });
  return {
    server,
    storeId,
    modelId,
    authorizer: (audit) =>
      createFgaAuthorizer({
        apiUrl: server.apiUrl,
        storeId,
        authorizationModelId: modelId,
        retry: { maxRetry: 0, minWaitInMs: 1 },
        ...(audit ? { audit } : {}),
      }),
    close: () => server.close(),
  };
}
