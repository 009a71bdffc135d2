import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import { CookieJar } from '../src/internal/cookie-jar';
import { createDevTokenVault, DEV_VAULT_GRANT_TYPES } from '../src/vault';
import type { VaultTestServer } from './vault-helpers';

/**
 * A minimal oidc-provider (its dev interactions: any login, a consent button) with the vault attached
 * directly, for vault options `startDevServer` does not pass through (e.g. `fetch`).
 */
const redirectUri = 'http://127.0.0.1/callback';
export const clientSecret = 'vault-test-secret-0123456789abcdef';

export async function startMinimalVaultServer(
  options: { externalTokenTtlSeconds?: number; fetch?: typeof fetch } = {},
): Promise<VaultTestServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const clients = ['agent', 'other-agent'].map((clientId) => ({
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token', ...DEV_VAULT_GRANT_TYPES],
    token_endpoint_auth_method: 'client_secret_post' as const,
  }));
  const provider = new Provider(issuer, {
    clients,
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    scopes: ['openid', 'offline_access'],
    issueRefreshToken: () => true,
    routes: { token: '/oauth/token' },
    pkce: { required: () => false },
  });
  const configs = new Map<string, client.Configuration>();
  const config = async (clientId = 'agent') => {
    let configuration = configs.get(clientId);
    if (!configuration) {
      configuration = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
        execute: [client.allowInsecureRequests],
      });
      configs.set(clientId, configuration);
    }
    return configuration;
  };

  const login = async (user: string, clientId = 'agent') => {
    const configuration = await config(clientId);
    const state = client.randomState();
    let url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid offline_access',
      prompt: 'consent',
      state,
    });
    const jar = new CookieJar();
    for (let step = 0; step < 12; step += 1) {
      if (url.href.startsWith(redirectUri)) {
        const tokens = await client.authorizationCodeGrant(configuration, url, { expectedState: state });
        return {
          accessToken: tokens.access_token,
          refreshToken: tokens.refresh_token!,
          cookie: jar.header(),
        };
      }
      let response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.store(response);
      if (response.status === 200) {
        const html = await response.text();
        const body: Record<string, string> = html.includes('name="login"')
          ? { prompt: 'login', login: user, password: 'x' }
          : { prompt: 'consent' };
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

  const vault = createDevTokenVault({
    connections: [
      { name: 'acme-calendar', displayName: 'Acme Calendar', scopes: ['events.read', 'events.write'] },
    ],
    signIn: async (user) => ({ cookie: (await login(user)).cookie }),
    ...(options.externalTokenTtlSeconds ? { externalTokenTtlSeconds: options.externalTokenTtlSeconds } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  vault.attach(provider);
  server.on('request', provider.callback());

  return {
    issuer,
    users: { alice: { login: 'alice', sub: 'alice' }, bob: { login: 'bob', sub: 'bob' } },
    clientIds: { agent: 'agent', other: 'other-agent' },
    connections: vault.handle,
    login,
    config,
    async close() {
      await vault.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
