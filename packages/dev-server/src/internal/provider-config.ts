import type { Configuration, JWK, KoaContextWithOIDC } from 'oidc-provider';
import { errors, interactionPolicy } from 'oidc-provider';
import { allGrantTypes } from '../default-seed';
import type { DevSeed } from '../types';
import { GRANT_ID_CLAIM } from '../vault/constants';
import type { AccountDirectory } from './accounts';
import type { ApprovalRegistry, BackchannelRequestView } from './approvals';
import {
  approvedAuthorizationDetails,
  authorizationDetailTypes,
  parseAuthorizationDetails,
  richAuthorizationRequestTypes,
} from './authorization-details';
import type { FirstPartyResources } from './first-party-resources';
import { page, setPageHeaders } from './html';
import { createMemoryAdapterFactory } from './memory-adapter';
import { delegationClaims } from './on-behalf-of-claims';
import { pagesClientId, signInCallbackPath } from './page-sign-in';
import { escapeHtml } from './pages/escape-html';

export const loa1 = 'urn:agentgate:loa:1';
export const loa2 = 'urn:agentgate:loa:2';

/** Binding message rules as Auth0 documents them: up to 64 characters, letters, digits, spaces and `+-_.,:#`. */
const bindingMessagePattern = /^[\p{L}\p{N} +\-_.,:#]{1,64}$/u;

export interface ProviderConfigOptions {
  seed: DevSeed;
  issuer: string;
  signingKey: JWK;
  cookieKeys: string[];
  accounts: AccountDirectory;
  approvals: ApprovalRegistry;
  apiAudience: string;
  apiScopes: string[];
  accessTokenTtlSeconds: number;
  cibaIntervalSeconds: number;
  /** Grant types registered on the provider after construction (the token vault's). */
  extraGrantTypes: readonly string[];
  /** The demo API and the added resource servers (MCP servers, first-party APIs); read on every request. */
  resources: FirstPartyResources;
}

const oidcScopes = new Set(['openid', 'offline_access', 'profile', 'email']);

const builtInGrantTypes = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:openid:params:grant-type:ciba',
];

interface AuthenticationFacts {
  acr?: string;
  amr?: string[];
  authTime?: number;
}

/** Requires a fresh login when `acr_values` asks for LoA 2 and the session only has LoA 1. */
function stepUpPolicy() {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  login?.checks.add(
    new interactionPolicy.Check('acr_step_up', 'a higher authentication level was requested', (ctx) => {
      const { oidc } = ctx;
      const acrValues = oidc.params?.acr_values;
      const requested = typeof acrValues === 'string' ? acrValues.split(' ') : [];
      if (!requested.includes(loa2) || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return oidc.session?.acr === loa2
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

function parseLoginHint(options: ProviderConfigOptions, loginHint: string): string | undefined {
  const trimmed = loginHint.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new errors.InvalidRequest('login_hint is not valid JSON');
    }
    const hint = parsed as { format?: unknown; iss?: unknown; sub?: unknown };
    if (hint.format !== 'iss_sub' || typeof hint.sub !== 'string' || typeof hint.iss !== 'string') {
      throw new errors.InvalidRequest('login_hint must use the iss_sub format with string iss and sub');
    }
    const withoutSlash = (value: string) => value.replace(/\/+$/, '');
    if (withoutSlash(hint.iss) !== withoutSlash(options.issuer)) {
      throw new errors.InvalidRequest('login_hint iss does not match this issuer');
    }
    return options.accounts.bySub(hint.sub)?.sub;
  }
  return options.accounts.byHint(trimmed)?.sub;
}

/** The oidc-provider configuration of the dev server. */
export function createProviderConfiguration(options: ProviderConfigOptions): Configuration {
  const { seed, accounts, approvals, apiAudience } = options;
  const clientNames = new Map(seed.clients.map((client) => [client.clientId, client.name]));
  const supportedGrantTypes = new Set([...builtInGrantTypes, ...options.extraGrantTypes]);

  const configuration = {
    adapter: createMemoryAdapterFactory(),
    clients: [
      ...seed.clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        client_name: client.name,
        redirect_uris: client.redirectUris,
        grant_types: (client.grantTypes ?? allGrantTypes).filter((grantType) =>
          supportedGrantTypes.has(grantType),
        ),
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_token_delivery_mode: 'poll',
        authorization_details_types: Object.keys(authorizationDetailTypes),
      })),
      {
        client_id: pagesClientId,
        client_name: 'the AgentGate dev server',
        redirect_uris: [new URL(signInCallbackPath.slice(1), options.issuer).href],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    ],
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    jwks: { keys: [options.signingKey] },
    cookies: { keys: options.cookieKeys },
    acrValues: [loa1, loa2],
    claims: {
      // acr, amr and auth_time ride on openid so step-up can be checked from every ID token.
      openid: ['sub', 'tenant', 'roles', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code', 'none'],
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      backchannel_authentication: '/bc-authorize',
      userinfo: '/userinfo',
      jwks: '/.well-known/jwks.json',
      revocation: '/oauth/revoke',
      introspection: '/oauth/introspect',
      end_session: '/oidc/logout',
      pushed_authorization_request: '/oauth/par',
      registration: '/oauth/register',
    },
    pkce: { required: () => true },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      ClientCredentials: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      BackchannelAuthenticationRequest: (ctx: KoaContextWithOIDC) => {
        const requested = Number(ctx?.oidc?.params?.requested_expiry);
        return Number.isSafeInteger(requested) && requested > 0 ? Math.min(requested, 600) : 300;
      },
    },
    rotateRefreshToken: () => true,
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const user = accounts.bySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          return {
            sub: user.sub,
            email: user.email,
            email_verified: true,
            name: user.name,
            tenant: user.tenant,
            roles: user.roles,
          };
        },
      };
    },
    async extraTokenClaims(
      ctx: KoaContextWithOIDC,
      token: { accountId?: string; kind?: string; grantId?: string },
    ) {
      const user = token.accountId ? accounts.bySub(token.accountId) : undefined;
      if (!user) return undefined;
      // RFC 9068 §2.2.1: how and when the user authenticated, so APIs can demand step-up.
      const entities = (ctx?.oidc?.entities ?? {}) as Record<string, AuthenticationFacts | undefined>;
      const source =
        entities.AuthorizationCode ?? entities.RefreshToken ?? entities.BackchannelAuthenticationRequest;
      return {
        tenant: user.tenant,
        roles: user.roles,
        ...(token.kind === 'AccessToken' && source?.acr ? { acr: source.acr } : {}),
        ...(token.kind === 'AccessToken' && source?.amr ? { amr: source.amr } : {}),
        ...(token.kind === 'AccessToken' && source?.authTime ? { auth_time: source.authTime } : {}),
        // The token vault accepts a JWT subject token only while this grant is live.
        ...(token.kind === 'AccessToken' && token.grantId ? { [GRANT_ID_CLAIM]: token.grantId } : {}),
        // On-behalf-of tokens (RFC 8693 §4.1): the acting agent and the user's authentication facts.
        ...delegationClaims(token),
      };
    },
    interactions: {
      policy: stepUpPolicy(),
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    async renderError(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) {
      ctx.type = 'html';
      setPageHeaders(ctx);
      ctx.body = page(
        'Something went wrong',
        `<p class="error">${escapeHtml(out.error)}</p><p>${escapeHtml(out.error_description)}</p>`,
      );
    },
    features: {
      devInteractions: { enabled: false },
      // RFC 7591 for MCP clients: open registration; public clients (`none`) must use PKCE like every client.
      registration: { enabled: true, initialAccessToken: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Like Auth0 without an audience: a request for OIDC scopes only gets an opaque token for /userinfo.
        defaultResource(ctx: KoaContextWithOIDC, _client: unknown, oneOf?: string[]) {
          if (oneOf) return oneOf;
          if (ctx.oidc.params?.authorization_details !== undefined) return apiAudience;
          const scope = ctx.oidc.params?.scope;
          if (typeof scope === 'string' && scope.split(' ').every((value) => oidcScopes.has(value)))
            return undefined;
          return apiAudience;
        },
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx: KoaContextWithOIDC, resource: string) {
          const scopes = options.resources.scopesOf(resource);
          if (!scopes) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return {
            scope: scopes.join(' '),
            audience: resource,
            accessTokenTTL: options.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        async processLoginHint(_ctx: KoaContextWithOIDC, loginHint: string) {
          return parseLoginHint(options, loginHint);
        },
        async processLoginHintToken() {
          throw new errors.InvalidRequest('login_hint_token is not supported, use login_hint');
        },
        async validateBindingMessage(_ctx: KoaContextWithOIDC, bindingMessage?: string) {
          if (bindingMessage !== undefined && !bindingMessagePattern.test(bindingMessage)) {
            throw new errors.InvalidBindingMessage(
              'binding_message must be 1-64 characters: letters, digits, spaces and +-_.,:#',
            );
          }
        },
        async validateRequestContext() {},
        async verifyUserCode(_ctx: KoaContextWithOIDC, _account: unknown, userCode?: string) {
          if (userCode !== undefined) throw new errors.InvalidRequest('user_code is not supported');
        },
        async triggerAuthenticationDevice(
          ctx: KoaContextWithOIDC,
          request: BackchannelRequestView,
          _account: unknown,
          client: { clientId: string },
        ) {
          approvals.register(request, clientNames.get(client.clientId) ?? client.clientId);
          // oidc-provider leaves `interval` out of the response; clients then fall back to 5 s.
          (ctx.body as { interval?: number }).interval = options.cibaIntervalSeconds;
        },
      },
      richAuthorizationRequests: {
        enabled: true,
        types: richAuthorizationRequestTypes(),
        // Only what the user approved on the consent page (the grant's details) reaches a code.
        authorizationDetailsForGrantSource(ctx: KoaContextWithOIDC) {
          return approvedAuthorizationDetails(
            parseAuthorizationDetails(ctx.oidc.params?.authorization_details),
            ctx.oidc.grant?.rar,
          );
        },
        // User-bound grants (code, refresh token, CIBA) carry what the user approved, or a subset of
        // it the client asks for; only client_credentials, which acts for no user, takes the client's word.
        authorizationDetailsForAccessToken(
          ctx: KoaContextWithOIDC,
          _token: unknown,
          source: { rar?: unknown[] } | undefined,
          grantType: string | undefined,
        ) {
          const requested = parseAuthorizationDetails(ctx.oidc.params?.authorization_details);
          if (grantType === 'client_credentials') return requested.length > 0 ? requested : undefined;
          return approvedAuthorizationDetails(requested, source?.rar);
        },
        authorizationDetailsForIntrospection(_ctx: KoaContextWithOIDC, token: { rar?: unknown[] }) {
          return token.rar;
        },
      },
    },
  };
  return configuration as unknown as Configuration;
}
