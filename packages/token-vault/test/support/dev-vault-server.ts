import { type AgentSession, createSession } from '@agentgate/core';
import { startDevServer } from '@agentgate/dev-server';

/** The part of the dev server's `connections` handle (`@agentgate/dev-server` vault) these tests drive. */
export interface DevConnectionsHandle {
  connect(
    user: string,
    connection: string,
    options?: { scopes?: readonly string[] },
  ): Promise<{ scopes: readonly string[] }>;
  disconnect(sub: string, connection: string): Promise<boolean>;
  revokeExternally(sub: string, connection: string): void;
  apiUrl(connection: string): string;
  exchangeCount(filter?: {
    dialect?: 'standard' | 'auth0';
    outcome?: 'issued' | 'error';
    sub?: string;
  }): number;
}

/** A dev server with its token vault, seen the way the token-vault tests need it. */
export interface DevVaultServer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  connections: DevConnectionsHandle;
  /** Logins of seeded users (`users[0]` is Alice). */
  users: { username: string; sub: string; tenant?: string }[];
  /** Logs the user in through the real pages and builds a session whose subject tokens are the real tokens. */
  session(username: string): Promise<{ session: AgentSession; accessToken: string; refreshToken: string }>;
  close(): Promise<void>;
}

/** Starts `startDevServer()` on loopback; `users` extra users are seeded in tenant `acme` (`user-1@acme` …). */
export async function startDevVaultServer(options: { extraUsers?: number } = {}): Promise<DevVaultServer> {
  const { defaultSeed } = await import('@agentgate/dev-server');
  const extra = Array.from({ length: options.extraUsers ?? 0 }, (_, index) => ({
    username: `user-${index + 1}@acme`,
    password: `user-${index + 1}-password`,
    sub: `user-${index + 1}`,
    email: `user-${index + 1}@acme.example`,
    name: `User ${index + 1}`,
    tenant: 'acme',
    roles: ['member'],
  }));
  const server = await startDevServer({
    fga: false,
    seed: { ...defaultSeed, users: [...defaultSeed.users, ...extra] },
  });
  const connections = server.connections as DevConnectionsHandle | undefined;
  if (!connections) {
    await server.close();
    return startInterimServer(options.extraUsers ?? 0);
  }
  const agent = server.clients[0]!;
  return {
    issuer: server.issuer,
    clientId: agent.clientId,
    clientSecret: agent.clientSecret,
    connections,
    users: server.users.map((user) => ({ username: user.username, sub: user.sub, tenant: user.tenant })),
    async session(username) {
      const user = server.users.find((candidate) => candidate.username === username);
      if (!user) throw new Error(`no seeded user ${username}`);
      const tokens = await server.login(username);
      const accessToken = tokens.access_token;
      const refreshToken = tokens.refresh_token ?? '';
      const session = createSession({
        sub: user.sub,
        iss: server.issuer,
        tenant: user.tenant,
        subjectToken: async (request) => (request?.type === 'refresh_token' ? refreshToken : accessToken),
      });
      return { session, accessToken, refreshToken };
    },
    close: () => server.close(),
  };
}

/**
 * TEMPORARY: until `startDevServer()` wires its token vault, the dev-server package's own vault test server (real
 * oidc-provider + the same vault module over HTTP) stands in. Remove once `server.connections` is there.
 */
async function startInterimServer(extraUsers: number): Promise<DevVaultServer> {
  const { startVaultTestServer, clientSecret } = await import('../../../dev-server/test/vault-helpers');
  const server = await startVaultTestServer();
  const names = [
    'alice',
    'bob',
    'carol',
    ...Array.from({ length: extraUsers }, (_, index) => `user-${index + 1}`),
  ];
  return {
    issuer: server.issuer,
    clientId: server.clientIds.agent,
    clientSecret,
    connections: server.connections,
    users: names.map((name) => ({ username: name, sub: name })),
    async session(username) {
      const tokens = await server.login(username);
      const session = createSession({
        sub: username,
        iss: server.issuer,
        subjectToken: async (request) =>
          request?.type === 'refresh_token' ? tokens.refreshToken : tokens.accessToken,
      });
      return { session, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    },
    close: () => server.close(),
  };
}
