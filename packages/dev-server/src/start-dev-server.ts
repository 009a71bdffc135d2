import { randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type JWK } from 'oidc-provider';
import { defaultSeed } from './default-seed';
import { AccountDirectory } from './internal/accounts';
import { ApprovalRegistry } from './internal/approvals';
import { createBodyLimit } from './internal/body-limit';
import { closeOnce } from './internal/close-once';
import { CsrfTokens } from './internal/csrf';
import { startFga } from './internal/fga';
import { attachFirstPartyResources, FirstPartyResources } from './internal/first-party-resources';
import { createHomePage } from './internal/home-page';
import { createInboxRoutes } from './internal/inbox-routes';
import { createInteractionRoutes } from './internal/interaction-routes';
import { type LoginHelperContext, loginThroughPages, signInThroughPages } from './internal/login-helper';
import { LoginThrottle } from './internal/login-throttle';
import { PageSignIn, signInLink } from './internal/page-sign-in';
import { PageSite } from './internal/pages/page-site';
import { createProviderConfiguration } from './internal/provider-config';
import { createRequestNormalizer } from './internal/request-normalizer';
import { generateDevCertificates } from './internal/tls';
import { fetchTrustingCa } from './internal/trusting-fetch';
import { validateSeed } from './parse-seed';
import type { DevServer, StartDevServerOptions } from './types';
import { createDevTokenVault, DEV_VAULT_GRANT_TYPES } from './vault';

const defaultApiAudience = 'https://api.agentgate.local/';
const defaultApiScopes = ['calendar:read', 'calendar:write', 'docs:read', 'orders:read', 'refunds:write'];

function validateOptions(options: StartDevServerOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('startDevServer: options must be an object');
  const { port, host, accessTokenTtlSeconds, cibaIntervalSeconds, apiAudience, apiScopes } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new TypeError('startDevServer: port must be an integer between 0 and 65535');
  }
  if (host !== undefined && (typeof host !== 'string' || host.length === 0)) {
    throw new TypeError('startDevServer: host must be a non-empty string');
  }
  if (
    accessTokenTtlSeconds !== undefined &&
    (!Number.isInteger(accessTokenTtlSeconds) || accessTokenTtlSeconds < 1)
  ) {
    throw new TypeError('startDevServer: accessTokenTtlSeconds must be a positive integer');
  }
  if (
    cibaIntervalSeconds !== undefined &&
    (!Number.isInteger(cibaIntervalSeconds) || cibaIntervalSeconds < 1)
  ) {
    throw new TypeError('startDevServer: cibaIntervalSeconds must be a positive integer');
  }
  if (apiAudience !== undefined && !URL.canParse(apiAudience)) {
    throw new TypeError('startDevServer: apiAudience must be an absolute URI');
  }
  const { loginThrottle } = options;
  if (loginThrottle !== undefined && loginThrottle !== false) {
    if (typeof loginThrottle !== 'object' || loginThrottle === null) {
      throw new TypeError('startDevServer: loginThrottle must be an object or false');
    }
    const { maxFailures, lockoutSeconds } = loginThrottle;
    if (maxFailures !== undefined && (!Number.isInteger(maxFailures) || maxFailures < 1)) {
      throw new TypeError('startDevServer: loginThrottle.maxFailures must be a positive integer');
    }
    if (
      lockoutSeconds !== undefined &&
      (!Number.isInteger(lockoutSeconds) || lockoutSeconds < 1 || lockoutSeconds > 900)
    ) {
      throw new TypeError('startDevServer: loginThrottle.lockoutSeconds must be an integer from 1 to 900');
    }
  }
  if (
    apiScopes !== undefined &&
    (!Array.isArray(apiScopes) || apiScopes.some((scope) => typeof scope !== 'string'))
  ) {
    throw new TypeError('startDevServer: apiScopes must be an array of strings');
  }
  if (options.resourceServers !== undefined && !Array.isArray(options.resourceServers)) {
    throw new TypeError('startDevServer: resourceServers must be an array');
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the embedded authorization server: OIDC login and consent pages, CIBA + RAR with an
 * approval inbox, JWT access tokens for the demo API, and the OpenFGA API of fga-local.
 *
 * @example
 * const server = await startDevServer({ cibaIntervalSeconds: 1 });
 * const tokens = await server.login('alice@acme');
 * await server.close();
 *
 * @throws TypeError on invalid options or an invalid seed.
 */
export async function startDevServer(options: StartDevServerOptions = {}): Promise<DevServer> {
  validateOptions(options);
  const seed = validateSeed(options.seed ?? defaultSeed);
  const host = options.host ?? '127.0.0.1';
  const apiAudience = options.apiAudience ?? defaultApiAudience;
  const apiScopes = options.apiScopes ?? defaultApiScopes;
  const cibaIntervalSeconds = options.cibaIntervalSeconds ?? 5;
  const otpCode = '123456';

  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => {
    response.statusCode = 503;
    response.end('starting');
  };
  const listener = (request: IncomingMessage, response: ServerResponse) => handler(request, response);
  const certificates = options.https ? await generateDevCertificates(host) : undefined;
  const server: Server = certificates
    ? createHttpsServer(
        { key: certificates.key, cert: `${certificates.cert.trim()}\n${certificates.ca.trim()}\n` },
        listener,
      )
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `${certificates ? 'https' : 'http'}://${urlHost(host)}:${port}/`;
  const selfFetch = certificates ? fetchTrustingCa(certificates.ca) : globalThis.fetch.bind(globalThis);
  let closeVault: (() => Promise<void>) | undefined;

  try {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const signingKey = {
      ...(await exportJWK(privateKey)),
      kid: randomBytes(8).toString('hex'),
      alg: 'ES256',
      use: 'sig',
    } as JWK;

    const resources = new FirstPartyResources({
      apiAudience,
      apiScopes,
      publicKey: {
        kty: signingKey.kty,
        crv: signingKey.crv,
        x: signingKey.x,
        y: signingKey.y,
        kid: signingKey.kid,
      },
    });
    for (const resourceServer of options.resourceServers ?? []) resources.add(resourceServer);
    const accounts = new AccountDirectory(seed.users);
    // One CSRF mechanism for every HTML form of the server (inbox, connections page).
    const csrf = new CsrfTokens();
    let provider: Provider | undefined;
    const getProvider = () => {
      if (!provider) throw new Error('the provider is not constructed yet');
      return provider;
    };
    const approvals = new ApprovalRegistry({ provider: getProvider, apiScopes });
    const clientNames = new Map(seed.clients.map((client) => [client.clientId, client.name]));
    const loginContext: LoginHelperContext = {
      issuer,
      users: seed.users,
      clients: seed.clients,
      apiAudience,
      apiScopes,
      otpCode,
      fetch: selfFetch,
    };
    const pageSignIn = new PageSignIn({ issuer });
    const vault = createDevTokenVault({
      connections: seed.connections,
      signInUrl: signInLink,
      fetch: selfFetch,
      csrf,
      accountExists: (sub) => accounts.bySub(sub) !== undefined,
      ...(options.externalTokenTtlSeconds === undefined
        ? {}
        : { externalTokenTtlSeconds: options.externalTokenTtlSeconds }),
      signIn: async (user, { signal }) => {
        const { cookie } = await signInThroughPages(loginContext, user, {
          scope: 'openid',
          ...(signal ? { signal } : {}),
        });
        return { cookie };
      },
    });

    provider = new Provider(
      issuer,
      createProviderConfiguration({
        seed,
        issuer,
        signingKey,
        cookieKeys: [randomBytes(32).toString('base64url')],
        accounts,
        approvals,
        apiAudience,
        apiScopes,
        accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
        cibaIntervalSeconds,
        extraGrantTypes: DEV_VAULT_GRANT_TYPES,
        resources,
      }),
    );
    attachFirstPartyResources(provider, resources);
    // First in the chain: a body over the limit is a 413 on every route that reads one.
    provider.use(createBodyLimit());
    // Before the vault's pages: the shared page layer (header, scope descriptions, assets, sign-out).
    provider.use(
      new PageSite({ provider: getProvider, accounts, csrf, connections: seed.connections }).middleware,
    );
    vault.attach(provider);
    closeVault = () => vault.close();
    provider.use(
      createRequestNormalizer({
        tokenPath: '/oauth/token',
        backchannelPath: '/bc-authorize',
        authorizationPath: '/authorize',
        intervalSeconds: cibaIntervalSeconds,
        registrationPath: '/oauth/register',
      }),
    );
    const throttle =
      options.loginThrottle === false
        ? undefined
        : new LoginThrottle(
            {
              maxFailures: options.loginThrottle?.maxFailures ?? 5,
              lockoutSeconds: options.loginThrottle?.lockoutSeconds ?? 30,
            },
            (name) => accounts.byLoginName(name)?.sub,
          );
    provider.use(
      createInteractionRoutes({ provider: getProvider, accounts, clientNames, otpCode, throttle }),
    );
    provider.use(pageSignIn.middleware);
    provider.use(
      createInboxRoutes({
        provider: getProvider,
        approvals,
        accounts,
        csrf,
        signIn: pageSignIn,
      }),
    );
    provider.use(createHomePage({ connections: seed.connections }));
    handler = provider.callback();

    // Loopback only, whatever `host` is: the FGA API has no authentication.
    const fga = options.fga === false ? undefined : await startFga(seed.fga);

    const close = closeOnce(
      [() => approvals.close(), () => vault.close(), () => fga?.close(), () => certificates?.remove()],
      async () => {
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    );

    return {
      issuer,
      port,
      url: (path: string) => new URL(path.replace(/^\/+/, ''), issuer).href,
      clients: seed.clients,
      users: seed.users,
      seed,
      apiAudience,
      apiScopes,
      otpCode,
      ...(certificates ? { caFile: certificates.caFile } : {}),
      fetch: selfFetch,
      fga: fga
        ? { apiUrl: fga.apiUrl, storeId: fga.storeId, authorizationModelId: fga.authorizationModelId }
        : { apiUrl: '', storeId: '', authorizationModelId: '' },
      approvals: {
        list: (filter) => approvals.list(filter),
        approve: (id) => approvals.approve(id),
        deny: (id) => approvals.deny(id),
        waitFor: (filter) => approvals.waitFor(filter),
      },
      connections: vault.handle,
      login: (username, loginOptions) => loginThroughPages(loginContext, username, loginOptions),
      addResourceServer: (resourceServer) => resources.add(resourceServer),
      close,
    };
  } catch (error) {
    await closeVault?.().catch(() => {});
    await certificates?.remove().catch(() => {});
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
}
