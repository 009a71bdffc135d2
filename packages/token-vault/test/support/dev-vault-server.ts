import { type AgentSession, createSession } from '@agentgate/core';
import { type DevConnections, defaultSeed, startDevServer } from '@agentgate/dev-server';

/** A dev server with its token vault, seen the way the token-vault tests need it. */
export interface DevVaultServer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  connections: DevConnections;
  /** Seeded users; `users[0]` is Alice, `users[1]` Bob. */
  users: { username: string; sub: string; tenant: string }[];
  /** Logs the user in through the real pages and builds a session whose subject tokens are the real tokens. */
  session(username: string): Promise<{ session: AgentSession; accessToken: string; refreshToken: string }>;
  close(): Promise<void>;
}

/**
 * Starts `startDevServer()` on loopback, with `extraUsers` more users in tenant `acme` (`user-1@acme`, …) and,
 * optionally, short-lived tokens at the mock provider.
 */
export async function startDevVaultServer(
  options: { extraUsers?: number; externalTokenTtlSeconds?: number } = {},
): Promise<DevVaultServer> {
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
    ...(options.externalTokenTtlSeconds === undefined
      ? {}
      : { externalTokenTtlSeconds: options.externalTokenTtlSeconds }),
    seed: { ...defaultSeed, users: [...defaultSeed.users, ...extra] },
  });
  const agent = server.clients[0]!;
  return {
    issuer: server.issuer,
    clientId: agent.clientId,
    clientSecret: agent.clientSecret,
    connections: server.connections,
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
