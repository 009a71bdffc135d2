/**
 * The token path of `@agentgate/token-vault` against the dev server over loopback HTTP: `getToken` with a warm cache
 * (in memory, and in an encrypted store), the same through `gate.run` with `vault.guard`, and a cold path (every call
 * a real RFC 8693 exchange); then a burst of 100 concurrent calls for one user and how many exchanges the server saw.
 */
import { createGate, createSession, MemoryStore } from '@agentgate/core';
import { startDevServer } from '@agentgate/dev-server';
import { createTokenVault, type TokenVaultOptions } from '@agentgate/token-vault';

const WARM_CALLS = 20_000;
const COLD_CALLS = 200;
const BURST = 100;
const CONNECTION = 'acme-calendar';

async function timePerCall(
  label: string,
  iterations: number,
  call: () => Promise<unknown>,
): Promise<{ case: string; calls: number; 'µs / call': string }> {
  for (let index = 0; index < Math.min(200, iterations); index++) await call(); // warm up
  const start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) await call();
  const microseconds = Number(process.hrtime.bigint() - start) / 1_000 / iterations;
  return { case: label, calls: iterations, 'µs / call': microseconds.toFixed(2) };
}

export async function run(): Promise<void> {
  const server = await startDevServer({ fga: false });
  try {
    const user = server.users[0]!;
    const agent = server.clients[0]!;
    const tokens = await server.login(user.username);
    await server.connections.connect(user.sub, CONNECTION, { scopes: ['events.read'] });
    const session = createSession({
      sub: user.sub,
      iss: server.issuer,
      tenant: user.tenant,
      subjectToken: async () => tokens.access_token,
    });
    const options: TokenVaultOptions = {
      issuer: server.issuer,
      clientId: agent.clientId,
      clientSecret: agent.clientSecret,
      dialect: 'rfc8693',
      allowInsecureRequests: true,
    };
    const request = { connection: CONNECTION, scopes: ['events.read'] };

    const warm = createTokenVault(options);
    const stored = createTokenVault({
      ...options,
      store: new MemoryStore(),
      encryptionKey: new Uint8Array(32).fill(1),
    });
    const cold = createTokenVault(options);
    const gate = createGate({ audit: false });
    const guard = warm.guard(request);
    const tool = { name: 'list_events' };

    const rows = [
      await timePerCall('warm cache (memory)', WARM_CALLS, () => warm.getToken(session, request)),
      await timePerCall('warm cache (encrypted MemoryStore)', WARM_CALLS, () =>
        stored.getToken(session, request),
      ),
      await timePerCall('gate.run + vault.guard, warm', WARM_CALLS, () =>
        gate.run({ tool, args: {} }, session, [guard], () => undefined),
      ),
      await timePerCall('cold: one exchange per call', COLD_CALLS, async () => {
        await cold.invalidate(session, request);
        return cold.getToken(session, request);
      }),
    ];
    console.log('\ntoken-vault token path (dev server on loopback)');
    console.table(rows);

    const burstVault = createTokenVault(options);
    const before = server.connections.exchangeCount();
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: BURST }, () => burstVault.getToken(session, request)),
    );
    const elapsed = performance.now() - started;
    const exchanges = server.connections.exchangeCount() - before;
    console.table([
      {
        case: `burst of ${BURST} concurrent calls, one user, cold cache`,
        'exchanges at the server': exchanges,
        'distinct tokens': new Set(results.map((result) => result.accessToken)).size,
        'total ms': elapsed.toFixed(1),
      },
    ]);
    if (exchanges !== 1) throw new Error(`single-flight broken: ${exchanges} exchanges for one burst`);
  } finally {
    await server.close();
  }
}
