import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { FirstPartyResources } from '../../internal/first-party-resources';
import { type ActorClaim, markDelegated } from '../../internal/on-behalf-of-claims';
import { ACCESS_TOKEN_TYPE, GRANT_ID_CLAIM, SUBJECT_TOKEN_INVALID } from '../constants';
import { parseScopes } from './http';

const ACCESS_TOKEN_TTL_SECONDS = 300;

function oauthError(error: string, description: string): errors.OIDCProviderError {
  return new errors.CustomOIDCProviderError(error, description);
}

/** A well-formed `act` claim: `{ sub: string, act?: <the same> }`, at most 5 levels deep. */
function isActorClaim(value: unknown, depth = 0): value is ActorClaim {
  if (depth > 5 || typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { sub, act } = value as { sub?: unknown; act?: unknown };
  return typeof sub === 'string' && sub.length > 0 && (act === undefined || isActorClaim(act, depth + 1));
}

export interface OnBehalfOfRequest {
  resources: FirstPartyResources;
  /** The first-party API the token is for (the exchange's single audience / resource). */
  audience: string;
  subjectToken: string;
  subjectTokenType: string;
  requestedTokenType: string | undefined;
  scope: string | undefined;
}

/**
 * RFC 8693 on-behalf-of to a first-party API: the user's JWT access token (issued here, its login still
 * live) becomes a short-lived JWT for `audience` with the exchanging client as actor (`act.sub`). Scopes
 * only narrow: each requested scope must be in the subject token and be one the API accepts.
 */
export async function exchangeOnBehalfOf(ctx: KoaContextWithOIDC, request: OnBehalfOfRequest): Promise<void> {
  const client = ctx.oidc.client!;
  if (client.clientAuthMethod === 'none') {
    throw oauthError(
      'unauthorized_client',
      'on-behalf-of exchanges need an authenticated (confidential) client',
    );
  }
  if (request.subjectTokenType !== ACCESS_TOKEN_TYPE) {
    throw oauthError('invalid_request', 'on-behalf-of exchanges take an access token as subject_token');
  }
  if (request.requestedTokenType !== undefined && request.requestedTokenType !== ACCESS_TOKEN_TYPE) {
    throw oauthError('invalid_request', `requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  const apiScopes = request.resources.scopesOf(request.audience)!;
  const provider = ctx.oidc.provider;

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(
      request.subjectToken,
      createLocalJWKSet({ keys: [request.resources.publicKey] }),
      {
        issuer: provider.issuer,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['sub', 'exp', 'aud'],
      },
    ));
  } catch {
    throw oauthError('invalid_grant', SUBJECT_TOKEN_INVALID);
  }
  const sub = claims.sub!;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  // The subject token must be the client's own, or one a first-party resource it serves received; for a user, under a live login.
  const grantId = claims[GRANT_ID_CLAIM];
  const grant = typeof grantId === 'string' ? await provider.Grant.find(grantId) : undefined;
  if (
    !grant ||
    grant.accountId !== sub ||
    !(
      claims['client_id'] === client.clientId ||
      audiences.some((aud) => request.resources.mayDelegate(String(aud), client.clientId))
    )
  ) {
    throw oauthError('invalid_grant', SUBJECT_TOKEN_INVALID);
  }
  if (claims['act'] !== undefined && !isActorClaim(claims['act'])) {
    throw oauthError('invalid_grant', `${SUBJECT_TOKEN_INVALID}: malformed act claim`);
  }

  const held = new Set(typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : []);
  const requested = parseScopes(request.scope);
  const widened = requested.filter((scope) => !held.has(scope) || !apiScopes.includes(scope));
  if (widened.length > 0) {
    throw new errors.InvalidScope(
      `an on-behalf-of token cannot carry scopes the user's token does not hold or the API does not accept: ${widened.join(' ')}`,
      widened.join(' '),
    );
  }
  const scopes = requested.length > 0 ? requested : apiScopes.filter((scope) => held.has(scope));
  if (scopes.length === 0) {
    throw new errors.InvalidScope('the user token holds none of the API scopes', apiScopes.join(' '));
  }

  const token = new provider.AccessToken({
    accountId: sub,
    client,
    grantId: grant.jti,
    gty: 'urn:ietf:params:oauth:grant-type:token-exchange',
    scope: scopes.join(' '),
  });
  token.resourceServer = new provider.ResourceServer(request.audience, {
    scope: apiScopes.join(' '),
    audience: request.audience,
    accessTokenTTL: Math.max(
      1,
      Math.min(ACCESS_TOKEN_TTL_SECONDS, (claims.exp ?? 0) - Math.floor(Date.now() / 1000)),
    ),
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'ES256' } },
  });
  const previousActor = claims['act'] as ActorClaim | undefined;
  markDelegated(token, {
    act: { sub: client.clientId, ...(previousActor ? { act: previousActor } : {}) },
    ...(typeof claims['acr'] === 'string' ? { acr: claims['acr'] } : {}),
    ...(Array.isArray(claims['amr'])
      ? { amr: claims['amr'].filter((value) => typeof value === 'string') }
      : {}),
    ...(typeof claims['auth_time'] === 'number' ? { auth_time: claims['auth_time'] } : {}),
  });
  const value = await token.save();
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: scopes.join(' '),
  };
}
