import { type AgentSession, createSession } from '@agentgate/core';
import {
  createFgaAuthorizer,
  type FgaAuthorizer,
  type FgaAuthorizerCommonOptions,
  type FgaServerAuthorizerOptions,
} from '../../src';
import { DOCUMENTS, type SeededFga } from './fga-server';

export const alice: AgentSession = createSession({ sub: 'alice', id: 'session-alice' });
export const bob: AgentSession = createSession({ sub: 'bob', id: 'session-bob' });
export const carol: AgentSession = createSession({ sub: 'carol', id: 'session-carol' });

export interface Doc {
  id: string;
  text: string;
}

/** The corpus as a retriever would return it: `doc:d0` … in index order. */
export const corpus: Doc[] = Array.from({ length: DOCUMENTS }, (_, index) => ({
  id: `d${index}`,
  text: `document ${index}`,
}));

export const objectOfDoc = (doc: Doc) => `doc:${doc.id}`;

type Extra = Omit<Partial<FgaAuthorizerCommonOptions>, 'storeId'>;

/** An authorizer through `@openfga/sdk` against `apiUrl` (the server, or a proxy in front of it). */
export function serverAuthorizer(
  fga: SeededFga,
  apiUrl: string,
  extra: Extra & Pick<FgaServerAuthorizerOptions, 'retry'> = {},
): FgaAuthorizer {
  return createFgaAuthorizer({
    apiUrl,
    storeId: fga.storeId,
    authorizationModelId: fga.modelId,
    retry: { maxRetry: 1, minWaitInMs: 1 },
    ...extra,
  });
}

/** An authorizer over the same engine in-process. */
export function localAuthorizer(fga: SeededFga, extra: Extra = {}): FgaAuthorizer {
  return createFgaAuthorizer({
    local: fga.engine,
    storeId: fga.storeId,
    authorizationModelId: fga.modelId,
    ...extra,
  });
}
