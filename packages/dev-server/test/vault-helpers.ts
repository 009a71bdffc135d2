import * as client from 'openid-client';
import { defaultSeed, startDevServer } from '../src/index';
import { CookieJar } from '../src/internal/cookie-jar';
import type { DevConnections } from '../src/vault';

/** The server the vault tests run against, with two users and two clients. */
export interface VaultTestServer {
  /** Base URL without a trailing slash. */
  issuer: string;
  /** Login names of two users and their `sub`s. */
  users: { alice: { login: string; sub: string }; bob: { login: string; sub: string } };
  /** A client that may exchange tokens, and a second one that is not trusted for the first one's tokens. */
  clientIds: { agent: string; other: string };
  connections: DevConnections;
  /** Logs `user` in through the real pages; tokens plus the browser's session cookie. */
  login(
    user: string,
    clientId?: string,
    options?: { opaqueAccessToken?: boolean },
  ): Promise<{ accessToken: string; refreshToken: string; cookie: string }>;
  /** openid-client configuration of a seeded client (discovery). */
  config(clientId?: string): Promise<client.Configuration>;
  close(): Promise<void>;
}

const redirectUri = 'http://127.0.0.1:3000/callback';
const otherClient = {
  clientId: 'other-agent',
  clientSecret: 'other-agent-secret',
  name: 'Another Agent',
  redirectUris: [redirectUri],
  grantTypes: [...(defaultSeed.clients[0]?.grantTypes ?? [])],
};

/**
 * `startDevServer()` (default seed plus a second client) as the vault tests' server. Logs users in
 * through the server's own login and consent pages, keeping the browser's cookies for the connect flow.
 */
export async function startVaultTestServer(
  options: { externalTokenTtlSeconds?: number } = {},
): Promise<VaultTestServer> {
  const server = await startDevServer({
    fga: false,
    seed: { ...defaultSeed, clients: [...defaultSeed.clients, otherClient] },
    ...options,
  });
  const connections = server.connections as DevConnections | undefined;
  if (!connections) {
    await server.close();
    throw new Error('startDevServer does not expose the vault handle as DevServer.connections');
  }
  const issuer = server.issuer.replace(/\/$/, '');
  const configs = new Map<string, client.Configuration>();
  const config = async (clientId = 'agentgate-agent') => {
    let configuration = configs.get(clientId);
    if (!configuration) {
      const seeded = server.clients.find((candidate) => candidate.clientId === clientId);
      if (!seeded) throw new Error(`no seeded client ${clientId}`);
      configuration = await client.discovery(
        new URL(server.issuer),
        clientId,
        seeded.clientSecret,
        undefined,
        {
          execute: [client.allowInsecureRequests],
        },
      );
      configs.set(clientId, configuration);
    }
    return configuration;
  };

  const login = async (
    username: string,
    clientId = 'agentgate-agent',
    loginOptions: { opaqueAccessToken?: boolean } = {},
  ) => {
    const user = server.users.find((candidate) => candidate.username === username);
    if (!user) throw new Error(`no seeded user ${username}`);
    const configuration = await config(clientId);
    const state = client.randomState();
    const codeVerifier = client.randomPKCECodeVerifier();
    let url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      // OIDC scopes alone get an opaque access token (for /userinfo); the API's scope gets a JWT.
      ...(loginOptions.opaqueAccessToken
        ? { scope: 'openid offline_access' }
        : { scope: 'openid offline_access calendar:read', resource: server.apiAudience }),
      prompt: 'consent',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    const jar = new CookieJar();
    for (let step = 0; step < 15; step += 1) {
      if (url.href.startsWith(redirectUri)) {
        const tokens = await client.authorizationCodeGrant(configuration, url, {
          expectedState: state,
          pkceCodeVerifier: codeVerifier,
        });
        if (!tokens.refresh_token) throw new Error('login returned no refresh token');
        return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, cookie: jar.header() };
      }
      let response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.store(response);
      if (response.status === 200) {
        const html = await response.text();
        const action = /action="(\/interaction\/[\w-]+\/(?:login|confirm))"/.exec(html)?.[1];
        if (!action) throw new Error(`login: no form at ${url.pathname}`);
        const body: Record<string, string> = action.endsWith('/login')
          ? { username: user.username, password: user.password }
          : {};
        url = new URL(action, url);
        response = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body).toString(),
        });
        jar.store(response);
      }
      const location = response.headers.get('location');
      if (!location) throw new Error(`login stopped at ${url.pathname} with HTTP ${response.status}`);
      url = new URL(location, url);
    }
    throw new Error('login did not finish');
  };

  const subOf = (username: string) =>
    server.users.find((user) => user.username === username)?.sub ?? username;
  return {
    issuer,
    users: {
      alice: { login: 'alice@acme', sub: subOf('alice@acme') },
      bob: { login: 'bob@acme', sub: subOf('bob@acme') },
    },
    clientIds: { agent: 'agentgate-agent', other: otherClient.clientId },
    connections,
    login,
    config,
    close: () => server.close(),
  };
}
