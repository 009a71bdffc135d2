import type { DevFgaSeed } from '../types';

/** A seeded fga-local server. */
export interface SeededFga {
  apiUrl: string;
  storeId: string;
  authorizationModelId: string;
  close(): Promise<void>;
}

/**
 * Starts fga-local's OpenFGA server, creates a store, writes the seed's model (DSL) and tuples.
 * The API has no authentication, so it always listens on 127.0.0.1, whatever interface the dev
 * server itself binds: only processes on this machine reach it.
 */
export async function startFga(seed: DevFgaSeed): Promise<SeededFga> {
  // Loaded lazily: servers started with `fga: false` never load the engine.
  const { startOpenFgaServer } = await import('@agentgate/fga-local');
  const server = await startOpenFgaServer({ host: '127.0.0.1', port: 0 });
  try {
    const { engine } = server;
    const store = engine.createStore({ name: 'agentgate-dev' });
    const { authorization_model_id: authorizationModelId } = engine.writeAuthorizationModelFromDsl(
      store.id,
      seed.model,
    );
    for (let index = 0; index < seed.tuples.length; index += 100) {
      engine.write(store.id, {
        writes: seed.tuples.slice(index, index + 100),
        authorization_model_id: authorizationModelId,
      });
    }
    return { apiUrl: server.apiUrl, storeId: store.id, authorizationModelId, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw new Error('the dev server could not seed the FGA store', { cause: error });
  }
}
