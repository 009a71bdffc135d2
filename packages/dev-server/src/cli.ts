#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadSeedFile } from './parse-seed';
import { startDevServer } from './start-dev-server';

const usage =
  'usage: agentgate-dev [--port N] [--host HOST] [--seed file.json] [--https] [--ciba-interval SECONDS]';

/** The mock API's collections a connection's scopes open: `events.read` → `events`. */
function collections(scopes: readonly string[]): string[] {
  return [...new Set(scopes.map((scope) => /^([a-z][a-z0-9-]*)\.(read|write)$/.exec(scope)?.[1]))].filter(
    (collection): collection is string => collection !== undefined,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      https: { type: 'boolean', default: false },
      'ciba-interval': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  const cibaIntervalSeconds =
    values['ciba-interval'] === undefined ? undefined : Number(values['ciba-interval']);
  const seed = values.seed ? await loadSeedFile(values.seed) : undefined;
  const server = await startDevServer({
    port,
    https: values.https,
    ...(values.host ? { host: values.host } : {}),
    ...(seed ? { seed } : {}),
    ...(cibaIntervalSeconds === undefined ? {} : { cibaIntervalSeconds }),
  });

  const lines = [
    'AgentGate dev server',
    `issuer:       ${server.issuer}  (open it in a browser: inbox, connections, connect links)`,
    `discovery:    ${server.url('/.well-known/openid-configuration')}`,
    `api audience: ${server.apiAudience}`,
    `inbox:        ${server.url('/inbox')}`,
    `connections:  ${server.url('/connections')}`,
    ...server.connections.definitions.flatMap((connection) => [
      `  ${connection.name}  (${connection.displayName})  scopes ${connection.scopes.join(' ')}`,
      `    connect:  ${server.url(`/connections/${connection.name}/connect`)}`,
      ...collections(connection.scopes).map(
        (collection) =>
          `    mock api: ${server.connections.apiUrl(connection.name)}/${collection}  (${collection}.read: GET, ${collection}.write: POST)`,
      ),
      `    audience: ${server.connections.audience(connection.name)}`,
    ]),
    `fga api:      ${server.fga.apiUrl || '(disabled)'}  store ${server.fga.storeId}  model ${server.fga.authorizationModelId}`,
    ...(server.caFile ? [`ca file:      ${server.caFile}  (NODE_EXTRA_CA_CERTS)`] : []),
    'clients:',
    ...server.clients.map(
      (client) => `  ${client.clientId}  secret ${client.clientSecret}  (${client.name})`,
    ),
    'users:',
    ...server.users.map(
      (user) => `  ${user.username}  password ${user.password}  sub ${user.sub}  tenant ${user.tenant}`,
    ),
    `one-time code: ${server.otpCode}`,
  ];
  console.log(lines.join('\n'));

  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`agentgate-dev: ${error instanceof Error ? error.message : String(error)}`);
  console.error(usage);
  process.exit(1);
});
