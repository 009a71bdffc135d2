import type Provider from 'oidc-provider';
import { CsrfTokens } from '../internal/csrf';
import {
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
  CONNECTION_TARGET_PREFIX,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './constants';
import { connectOverHttp } from './internal/connect-over-http';
import { connectRoutes } from './internal/connect-routes';
import type { ConnectionRecord } from './internal/connection-store';
import { SubjectTokenVerifier } from './internal/subject-token';
import {
  AUTH0_PARAMETERS,
  STANDARD_DUPLICATES,
  STANDARD_PARAMETERS,
  tokenExchangeHandler,
} from './internal/token-exchange';
import { VaultCore } from './internal/vault-core';
import type {
  CreateDevTokenVaultOptions,
  DevConnectionDefinition,
  DevConnectionInfo,
  DevConnections,
  DevExchangeFilter,
  DevTokenVault,
} from './types';

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const SCOPE = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;

function validate(options: CreateDevTokenVaultOptions): DevConnectionDefinition[] {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createDevTokenVault: options must be an object');
  }
  const { connections, externalTokenTtlSeconds, getIssuer, trustedClientIds, signIn } = options;
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError('createDevTokenVault: fetch must be a function');
  }
  if (!Array.isArray(connections) || connections.length === 0) {
    throw new TypeError('createDevTokenVault: connections must be a non-empty array');
  }
  const names = new Set<string>();
  const definitions = connections.map((definition: DevConnectionDefinition) => {
    if (typeof definition?.name !== 'string' || !NAME.test(definition.name)) {
      throw new TypeError('createDevTokenVault: a connection name must match [a-z0-9][a-z0-9-]*');
    }
    if (names.has(definition.name)) {
      throw new TypeError(`createDevTokenVault: connection '${definition.name}' is listed twice`);
    }
    names.add(definition.name);
    if (typeof definition.displayName !== 'string' || definition.displayName.length === 0) {
      throw new TypeError(`createDevTokenVault: connection '${definition.name}' needs a displayName`);
    }
    if (
      !Array.isArray(definition.scopes) ||
      definition.scopes.length === 0 ||
      !definition.scopes.every((scope) => typeof scope === 'string' && SCOPE.test(scope))
    ) {
      throw new TypeError(
        `createDevTokenVault: connection '${definition.name}' needs scopes without spaces or commas`,
      );
    }
    return { name: definition.name, displayName: definition.displayName, scopes: [...definition.scopes] };
  });
  if (
    externalTokenTtlSeconds !== undefined &&
    (!Number.isSafeInteger(externalTokenTtlSeconds) || externalTokenTtlSeconds <= 0)
  ) {
    throw new TypeError('createDevTokenVault: externalTokenTtlSeconds must be a positive integer');
  }
  if (getIssuer !== undefined && typeof getIssuer !== 'function') {
    throw new TypeError('createDevTokenVault: getIssuer must be a function');
  }
  if (options.accountExists !== undefined && typeof options.accountExists !== 'function') {
    throw new TypeError('createDevTokenVault: accountExists must be a function');
  }
  if (options.csrf !== undefined && !(options.csrf instanceof CsrfTokens)) {
    throw new TypeError("createDevTokenVault: csrf must be the host server's CsrfTokens");
  }
  if (options.signInUrl !== undefined && typeof options.signInUrl !== 'function') {
    throw new TypeError('createDevTokenVault: signInUrl must be a function');
  }
  if (signIn !== undefined && typeof signIn !== 'function') {
    throw new TypeError('createDevTokenVault: signIn must be a function');
  }
  if (
    trustedClientIds !== undefined &&
    (!Array.isArray(trustedClientIds) || !trustedClientIds.every((id) => typeof id === 'string'))
  ) {
    throw new TypeError('createDevTokenVault: trustedClientIds must be an array of strings');
  }
  return definitions;
}

function info(record: ConnectionRecord): DevConnectionInfo {
  return {
    sub: record.sub,
    connection: record.connection,
    scopes: [...record.scopes],
    connectedAt: new Date(record.connectedAt),
  };
}

/**
 * Creates the dev server's token vault: mock external providers (`/ext/:connection/*`), the
 * connect flow (`/connections/*`), and token exchange at the token endpoint in both dialects.
 *
 * @example
 * const vault = createDevTokenVault({
 *   connections: [{ name: 'acme-calendar', displayName: 'Acme Calendar', scopes: ['events.read', 'events.write'] }],
 * });
 * vault.attach(provider); // before the first request reaches the provider
 * @param options.externalTokenTtlSeconds lifetime of external access tokens, default 300
 * @throws TypeError on invalid options
 */
export function createDevTokenVault(options: CreateDevTokenVaultOptions): DevTokenVault {
  const definitions = validate(options);
  const core = new VaultCore({
    connections: definitions,
    externalTokenTtlSeconds: options.externalTokenTtlSeconds ?? 300,
    trustedClientIds: [...(options.trustedClientIds ?? [])],
    ...(options.getIssuer ? { getIssuer: options.getIssuer } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signInUrl ? { signInUrl: options.signInUrl } : {}),
  });
  const { signIn } = options;
  let verifier: SubjectTokenVerifier | undefined;

  const knownConnection = (connection: string): void => {
    if (!core.connections.has(connection)) {
      throw new TypeError(`unknown connection '${connection}'`);
    }
  };

  const handle: DevConnections = {
    definitions,
    async connect(user, connection, connectOptions = {}) {
      knownConnection(connection);
      if (!signIn) {
        throw new Error('DevConnections.connect needs the signIn option of createDevTokenVault');
      }
      const { scopes = [], signal } = connectOptions;
      const { cookie } = await signIn(user, signal ? { signal } : {});
      const result = await connectOverHttp({
        baseUrl: core.baseUrl(),
        connection,
        scopes,
        cookie,
        ...(signal ? { signal } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const record = core.store.get(result.sub, connection);
      if (!record) {
        throw new Error(`connecting '${connection}' finished but no account is stored`);
      }
      return info(record);
    },
    disconnect: (sub, connection, disconnectOptions = {}) => {
      knownConnection(connection);
      return core.disconnect(sub, connection, disconnectOptions.signal);
    },
    list: (sub) => core.store.list(sub).map(info),
    revokeExternally(sub, connection) {
      knownConnection(connection);
      core.external.revokeUser(connection, sub);
    },
    apiUrl(connection) {
      knownConnection(connection);
      return core.apiUrl(connection);
    },
    audience(connection) {
      knownConnection(connection);
      return `${CONNECTION_TARGET_PREFIX}${connection}`;
    },
    exchangeCount: (filter: DevExchangeFilter = {}) => core.exchanges.count(filter),
    storeSnapshot: () => core.store.snapshot(),
    externalRefreshTokens: (sub, connection) => core.external.refreshTokensOf(connection, sub),
  };

  return {
    handle,
    attach(provider: Provider) {
      core.attachProvider(provider);
      verifier = new SubjectTokenVerifier(provider, core.trustedClientIds, {
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.accountExists ? { accountExists: options.accountExists } : {}),
      });
      const getVerifier = () => verifier!;
      provider.registerGrantType(
        TOKEN_EXCHANGE_GRANT_TYPE,
        tokenExchangeHandler(core, getVerifier, 'standard'),
        STANDARD_PARAMETERS,
        STANDARD_DUPLICATES,
      );
      provider.registerGrantType(
        AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
        tokenExchangeHandler(core, getVerifier, 'auth0'),
        AUTH0_PARAMETERS,
      );
      provider.use(core.external.middleware);
      provider.use(connectRoutes(core, options.csrf ?? new CsrfTokens(), options.signInUrl));
    },
    async close() {
      core.close();
    },
  };
}
