import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { firstPartyResourcesOf } from '../../internal/first-party-resources';
import {
  ACCESS_TOKEN_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  AUTH0_REFRESH_TOKEN_NOT_FOUND,
  CONNECTION_ACCESS_TOKEN_TYPE,
  CONNECTION_NOT_FOUND,
  CONNECTION_TARGET_PREFIX,
  REFRESH_TOKEN_TYPE,
  SUBJECT_TOKEN_INVALID,
} from '../constants';
import type { DevExchangeEvent } from '../types';
import { parseScopes } from './http';
import { exchangeOnBehalfOf } from './on-behalf-of';
import type { SubjectTokenVerifier } from './subject-token';
import { NotConnected, type VaultCore } from './vault-core';

type Dialect = DevExchangeEvent['dialect'];

/** Parameters of the standard dialect (RFC 8693) besides `grant_type` and client authentication. */
export const STANDARD_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'resource',
  'audience',
  'scope',
  'actor_token',
  'actor_token_type',
];
export const STANDARD_DUPLICATES = ['resource', 'audience'];

/** Parameters of the Auth0 federated-connection dialect. */
export const AUTH0_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'connection',
  'login_hint',
  'scope',
];

const STANDARD_REQUESTED_TYPES = new Set([
  CONNECTION_ACCESS_TOKEN_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  ACCESS_TOKEN_TYPE,
]);

function oauthError(error: string, description: string): errors.OIDCProviderError {
  return new errors.CustomOIDCProviderError(error, description);
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (Array.isArray(value)) {
    if (value.length > 1) {
      throw oauthError('invalid_request', `${name} must be given once`);
    }
    return single(value[0], name);
  }
  if (typeof value !== 'string') {
    throw oauthError('invalid_request', `${name} must be a string`);
  }
  return value;
}

function required(value: unknown, name: string): string {
  const text = single(value, name);
  if (text === undefined) {
    throw oauthError('invalid_request', `missing required parameter '${name}'`);
  }
  return text;
}

/** Names the connection from `audience` / `resource`: `connection:<name>` or the connection's API URL. */
function connectionFromTargets(core: VaultCore, targets: readonly string[]): string {
  const names = new Set<string>();
  for (const target of targets) {
    let name: string | undefined;
    if (target.startsWith(CONNECTION_TARGET_PREFIX)) {
      name = target.slice(CONNECTION_TARGET_PREFIX.length);
    } else {
      name = [...core.connections.keys()].find(
        (candidate) => core.apiUrl(candidate) === target.replace(/\/$/, ''),
      );
    }
    if (!name || !core.connections.has(name)) {
      throw oauthError('invalid_target', 'the audience or resource names no known connection');
    }
    names.add(name);
  }
  if (names.size !== 1) {
    throw oauthError(
      'invalid_target',
      names.size === 0
        ? "name the connection with audience 'connection:<name>' or resource '<connection API URL>'"
        : 'the audience and resource values name more than one connection',
    );
  }
  return [...names][0]!;
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') {
    return [];
  }
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** The token-exchange grant handler of one dialect (registered with `provider.registerGrantType`). */
export function tokenExchangeHandler(
  core: VaultCore,
  verifier: () => SubjectTokenVerifier,
  dialect: Dialect,
) {
  return async function exchange(ctx: KoaContextWithOIDC): Promise<void> {
    const clientId = ctx.oidc.client!.clientId;
    let connection: string | undefined;
    let sub: string | undefined;
    try {
      const params = ctx.oidc.params as Record<string, unknown>;
      const subjectToken = required(params['subject_token'], 'subject_token');
      const subjectTokenType = required(params['subject_token_type'], 'subject_token_type');
      if (subjectTokenType !== ACCESS_TOKEN_TYPE && subjectTokenType !== REFRESH_TOKEN_TYPE) {
        throw oauthError(
          'invalid_request',
          'subject_token_type must be an access_token or refresh_token type',
        );
      }
      const requestedTokenType = single(params['requested_token_type'], 'requested_token_type');
      let issuedTokenType: string;
      if (dialect === 'auth0') {
        if (requestedTokenType !== AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE) {
          throw oauthError(
            'invalid_request',
            `requested_token_type must be ${AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE}`,
          );
        }
        issuedTokenType = AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE;
        connection = required(params['connection'], 'connection');
        if (!core.connections.has(connection)) {
          throw oauthError('invalid_request', 'unknown connection');
        }
      } else {
        if (requestedTokenType !== undefined && !STANDARD_REQUESTED_TYPES.has(requestedTokenType)) {
          throw oauthError('invalid_request', `requested_token_type must be ${CONNECTION_ACCESS_TOKEN_TYPE}`);
        }
        if (params['actor_token'] !== undefined) {
          throw oauthError(
            'invalid_request',
            'actor_token is not supported: the authenticated client is the actor of an on-behalf-of token',
          );
        }
        const targets = [...asList(params['audience']), ...asList(params['resource'])];
        // A first-party API as the audience: on-behalf-of (the client acts for the user), not a connection.
        const resources = firstPartyResourcesOf(ctx.oidc.provider);
        if (resources && targets.some((target) => resources.has(target))) {
          if (new Set(targets).size !== 1) {
            throw oauthError('invalid_target', 'an on-behalf-of exchange names exactly one audience');
          }
          await exchangeOnBehalfOf(ctx, {
            resources,
            audience: targets[0]!,
            subjectToken,
            subjectTokenType,
            requestedTokenType,
            scope: single(params['scope'], 'scope'),
          });
          return;
        }
        issuedTokenType = requestedTokenType ?? CONNECTION_ACCESS_TOKEN_TYPE;
        connection = connectionFromTargets(core, targets);
      }
      const definition = core.connections.get(connection)!;
      const requestedScopes = parseScopes(single(params['scope'], 'scope'));
      const unknownScopes = requestedScopes.filter((scope) => !definition.scopes.includes(scope));
      if (unknownScopes.length > 0) {
        throw new errors.InvalidScope(
          `connection '${connection}' has no scope: ${unknownScopes.join(' ')}`,
          unknownScopes.join(' '),
        );
      }

      sub = await verifier().verify(subjectToken, subjectTokenType, clientId);
      if (!sub) {
        throw oauthError('invalid_grant', SUBJECT_TOKEN_INVALID);
      }
      const loginHint = dialect === 'auth0' ? single(params['login_hint'], 'login_hint') : undefined;
      if (loginHint !== undefined && loginHint !== sub) {
        throw oauthError('invalid_grant', `${SUBJECT_TOKEN_INVALID}: login_hint names another user`);
      }

      const notConnected = () =>
        oauthError(
          'invalid_grant',
          `${dialect === 'auth0' ? AUTH0_REFRESH_TOKEN_NOT_FOUND : CONNECTION_NOT_FOUND}: ` +
            `no connected account for connection '${connection}'; the user must connect it first`,
        );
      const record = core.store.get(sub, connection);
      if (!record) {
        throw notConnected();
      }
      const missing = requestedScopes.filter((scope) => !record.scopes.includes(scope));
      if (missing.length > 0) {
        throw new errors.InsufficientScope(
          `the connected account has not granted: ${missing.join(' ')}; the user must connect again with them`,
          missing.join(' '),
        );
      }
      let token: Awaited<ReturnType<VaultCore['accessTokenFor']>>;
      try {
        token = await core.accessTokenFor(record);
      } catch (error) {
        if (error instanceof NotConnected) {
          throw notConnected();
        }
        throw error;
      }
      ctx.body = {
        access_token: token.accessToken,
        issued_token_type: issuedTokenType,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope: token.scopes.join(' '),
      };
      core.exchanges.record({ dialect, outcome: 'issued', connection, sub, clientId });
    } catch (error) {
      const code = error instanceof errors.OIDCProviderError ? error.error : 'server_error';
      core.exchanges.record({
        dialect,
        outcome: 'error',
        error: code,
        clientId,
        ...(connection ? { connection } : {}),
        ...(sub ? { sub } : {}),
      });
      throw error;
    }
  };
}
