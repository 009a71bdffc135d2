import { type AgentSession, assertKnownOptions } from '@agentgate/core';
import type { JWTPayload } from 'jose';
import { TokenVerificationFailed } from './errors';
import { readBearerToken } from './read-bearer-token';
import { type TokenActor, tokenActor } from './token-actor';
import type { AccessTokenVerifier } from './verify-access-token';

/** Who called the API: the user, and the agent acting for them when the token was delegated. */
export interface ApiCaller {
  readonly user: { readonly sub: string; readonly iss: string };
  /** The agent acting for the user (`act`), or undefined when the user calls with their own token. */
  readonly actor: TokenActor | undefined;
  /** Scopes the request may use: the token's, narrowed by the agent policy when an agent calls. */
  readonly scopes: readonly string[];
  /** The token's session, its `scopes` narrowed like {@link ApiCaller.scopes}. */
  readonly session: AgentSession;
  readonly claims: Readonly<JWTPayload>;
}

/** Input of {@link AgentPolicy.allow}. */
export interface AgentPolicyInput {
  actor: TokenActor;
  user: ApiCaller['user'];
  scopes: readonly string[];
}

/** What the API accepts from agents acting for users. */
export interface AgentPolicy {
  /** Scopes an agent may use here; a delegated token's other scopes are ignored. @default every scope */
  scopes?: readonly string[];
  /** Accepts or refuses the agent (e.g. a list of client ids); a throw refuses. */
  allow?: (input: AgentPolicyInput) => boolean | Promise<boolean>;
}

/** Options of {@link protectApi}. */
export interface ProtectApiOptions {
  /** Verifies the bearer token (RFC 9068) with this API's audience. */
  verifier: AccessTokenVerifier;
  /** Scopes every request needs (after the agent policy narrowed them). @default [] */
  requiredScopes?: readonly string[];
  /** `false` refuses every delegated token; an object narrows what agents may do. @default {} (agents may use every scope) */
  agents?: AgentPolicy | false;
  /** RFC 9728 metadata URL, named in every challenge. */
  resourceMetadataUrl?: string;
}

/** A refusal: the HTTP status, the `WWW-Authenticate` challenge and an OAuth error body. */
export class ApiAuthorizationFailed extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly error: 'invalid_token' | 'insufficient_scope' | 'access_denied' | 'unauthorized',
    readonly description: string,
    readonly challenge: string,
    readonly scope?: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'ApiAuthorizationFailed';
  }

  /** The JSON body to send (`{ error, error_description, scope? }`). */
  toJSON(): { error: string; error_description: string; scope?: string } {
    return {
      error: this.error,
      error_description: this.description,
      ...(this.scope ? { scope: this.scope } : {}),
    };
  }
}

/** A Hono-style context: only what the middleware uses. */
export interface FetchStyleContext {
  req: { header(name: string): string | undefined; raw?: Request };
  set(key: 'agentgateCaller', value: ApiCaller): void;
}

/** An Express-style request and response: only what the middleware uses. */
export interface NodeStyleRequest {
  headers: { authorization?: string | undefined };
}
export interface NodeStyleResponse {
  locals: Record<string, unknown>;
  status(code: number): NodeStyleResponse;
  set(field: string, value: string): NodeStyleResponse;
  json(body: unknown): unknown;
}

/** Hono's `Variables` for `c.get('agentgateCaller')`: `new Hono<{ Variables: ApiCallerVariables }>()`. */
export type ApiCallerVariables = { agentgateCaller: ApiCaller };

/** A protected first-party API: one verification, three ways to mount it. */
export interface ApiProtection {
  /** Verifies an `Authorization` header value. @throws ApiAuthorizationFailed */
  authenticate(
    authorization: string | null | undefined,
    options?: { signal?: AbortSignal },
  ): Promise<ApiCaller>;
  /** Fetch-style handler: `(request) => Response`, the caller as second argument. */
  fetch(
    handler: (request: Request, caller: ApiCaller) => Response | Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /** Hono middleware: `app.use('/api/*', api.hono())`, then `c.get('agentgateCaller')`. */
  hono(): (context: FetchStyleContext, next: () => Promise<void>) => Promise<Response | undefined>;
  /** Express middleware: `app.use('/api', api.express())`, then `res.locals.agentgateCaller`. */
  express(): (
    request: NodeStyleRequest,
    response: NodeStyleResponse,
    next: (error?: unknown) => void,
  ) => void;
}

/** Quoted-string value of an auth-param (RFC 9110 §11.2): no quotes, backslashes or control characters. */
function quoted(value: string): string {
  let text = '';
  for (const character of value) {
    if (character === '"' || character === '\\') continue;
    const code = character.codePointAt(0) ?? 0;
    text += code < 0x20 || code === 0x7f ? ' ' : character;
  }
  return `"${text}"`;
}

/**
 * A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3) from auth-params; undefined values are left out.
 *
 * @example bearerChallenge({ error: 'insufficient_scope', scope: 'docs:read', resource_metadata: url })
 */
export function bearerChallenge(parameters: Readonly<Record<string, string | undefined>>): string {
  const pairs = Object.entries(parameters).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return pairs.length === 0
    ? 'Bearer'
    : `Bearer ${pairs.map(([name, value]) => `${name}=${quoted(value)}`).join(', ')}`;
}

const OPTIONS = ['verifier', 'requiredScopes', 'agents', 'resourceMetadataUrl'];

/**
 * Protects a first-party API (a resource server): verifies the bearer token (RFC 9068), reads the user and the
 * acting agent (`act`, RFC 8693), applies the agent policy ("agents only for these scopes"), and hands the caller
 * to the handler. A token without `act` is the user's own. Refusals are RFC 6750 challenges: 401 `invalid_token`
 * (also for a malformed `act` or an `act` naming another client), 403 `insufficient_scope` with the scopes needed,
 * 403 `access_denied` when the policy refuses the agent or a scope the request needs is one agents may not use.
 *
 * @example
 * const api = protectApi({ verifier, requiredScopes: ['docs:read'], agents: { scopes: ['docs:read'] } });
 * app.use('/docs/*', api.hono());
 * app.get('/docs/:id', (c) => c.json({ for: c.get('agentgateCaller').user.sub }));
 * @throws TypeError on malformed options
 */
export function protectApi(options: ProtectApiOptions): ApiProtection {
  assertKnownOptions('protectApi', options, OPTIONS);
  const { verifier, agents = {}, resourceMetadataUrl } = options;
  if (typeof verifier !== 'function' || typeof verifier.verify !== 'function') {
    throw new TypeError('protectApi: verifier must be an access-token verifier (createAccessTokenVerifier)');
  }
  const requiredScopes = [...(options.requiredScopes ?? [])];
  if (!requiredScopes.every((scope) => typeof scope === 'string' && scope.length > 0)) {
    throw new TypeError('protectApi: requiredScopes must be an array of scopes');
  }
  if (agents !== false) {
    assertKnownOptions('protectApi', agents, ['scopes', 'allow'], 'options.agents');
    if (agents.scopes !== undefined && !Array.isArray(agents.scopes)) {
      throw new TypeError('protectApi: agents.scopes must be an array of scopes');
    }
    if (agents.allow !== undefined && typeof agents.allow !== 'function') {
      throw new TypeError('protectApi: agents.allow must be a function');
    }
  }
  if (resourceMetadataUrl !== undefined && !URL.canParse(resourceMetadataUrl)) {
    throw new TypeError('protectApi: resourceMetadataUrl must be an absolute URL');
  }

  const refuse = (
    status: 401 | 403,
    error: ApiAuthorizationFailed['error'],
    description: string,
    scope?: string,
  ) =>
    new ApiAuthorizationFailed(
      status,
      error,
      description,
      bearerChallenge({
        ...(error === 'unauthorized' ? {} : { error, error_description: description }),
        scope,
        resource_metadata: resourceMetadataUrl,
      }),
      scope,
    );

  const authenticate: ApiProtection['authenticate'] = async (authorization, call = {}) => {
    const token = readBearerToken(authorization);
    if (token === undefined) throw refuse(401, 'unauthorized', 'a bearer token is required');
    let session: AgentSession;
    let claims: Readonly<JWTPayload>;
    let actor: TokenActor | undefined;
    try {
      ({ session, claims } = await verifier.verify(token, call.signal ? { signal: call.signal } : {}));
      actor = tokenActor(claims);
    } catch (error) {
      if (!TokenVerificationFailed.isInstance(error)) throw error;
      throw refuse(401, 'invalid_token', `the access token was refused (${error.reason})`);
    }
    const user = { sub: session.user.sub, iss: session.user.iss };
    let scopes = [...session.scopes];
    if (actor) {
      if (agents === false)
        throw refuse(403, 'access_denied', 'this API does not accept agents acting for users');
      if (agents.scopes) scopes = scopes.filter((scope) => agents.scopes!.includes(scope));
      let allowed = true;
      try {
        allowed = agents.allow ? (await agents.allow({ actor, user, scopes })) === true : true;
      } catch {
        allowed = false;
      }
      if (!allowed) throw refuse(403, 'access_denied', `this API does not accept the agent '${actor.sub}'`);
    }
    const missing = requiredScopes.filter((scope) => !scopes.includes(scope));
    // A scope agents may not use here: no re-authorization can help, so no insufficient_scope invitation.
    const forAgentsRefused =
      actor && agents !== false && agents.scopes
        ? missing.filter((scope) => !agents.scopes!.includes(scope))
        : [];
    if (forAgentsRefused.length > 0) {
      throw refuse(
        403,
        'access_denied',
        `this API does not accept agents for the scopes: ${forAgentsRefused.join(' ')}`,
      );
    }
    if (missing.length > 0) {
      throw refuse(
        403,
        'insufficient_scope',
        `this request needs the scopes: ${missing.join(' ')}`,
        requiredScopes.join(' '),
      );
    }
    const narrowed = Object.freeze(scopes);
    return Object.freeze({
      user: Object.freeze(user),
      actor,
      scopes: narrowed,
      // Whatever runs with this session (gate.run, requireScopes) sees only the scopes the policy leaves.
      session:
        narrowed.length === session.scopes.length ? session : Object.freeze({ ...session, scopes: narrowed }),
      claims,
    });
  };

  const refusal = (error: ApiAuthorizationFailed) =>
    Response.json(error.toJSON(), {
      status: error.status,
      headers: { 'www-authenticate': error.challenge, 'cache-control': 'no-store' },
    });

  return Object.freeze({
    authenticate,
    fetch(handler: (request: Request, caller: ApiCaller) => Response | Promise<Response>) {
      return async (request: Request) => {
        let caller: ApiCaller;
        try {
          caller = await authenticate(request.headers.get('authorization'), { signal: request.signal });
        } catch (error) {
          if (error instanceof ApiAuthorizationFailed) return refusal(error);
          throw error;
        }
        return handler(request, caller);
      };
    },
    hono() {
      return async (context: FetchStyleContext, next: () => Promise<void>) => {
        try {
          context.set('agentgateCaller', await authenticate(context.req.header('authorization')));
        } catch (error) {
          if (error instanceof ApiAuthorizationFailed) return refusal(error);
          throw error;
        }
        await next();
        return undefined;
      };
    },
    express() {
      return (request: NodeStyleRequest, response: NodeStyleResponse, next: (error?: unknown) => void) => {
        authenticate(request.headers.authorization).then(
          (caller) => {
            response.locals.agentgateCaller = caller;
            next();
          },
          (error: unknown) => {
            if (!(error instanceof ApiAuthorizationFailed)) return next(error);
            response
              .status(error.status)
              .set('WWW-Authenticate', error.challenge)
              .set('Cache-Control', 'no-store');
            response.json(error.toJSON());
          },
        );
      };
    },
  });
}
