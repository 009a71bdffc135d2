import type { Middleware } from 'koa';
import { readBodyText, replayBody } from './read-body';
import { applyRegistrationPolicy } from './registration-policy';

const cibaGrantType = 'urn:openid:params:grant-type:ciba';

type Parameters = Record<string, string | string[]>;

/** Parameters that may repeat (RFC 8707 `resource`; Auth0 sends one `audience`). */
const repeatable = new Set(['resource', 'audience']);

/** Turns a JSON value into the string form a form-encoded OAuth parameter carries. */
function toParameter(key: string, value: unknown): string | string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (repeatable.has(key) && Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value as string[];
  }
  // Structured parameters (authorization_details) travel as JSON text in a form body.
  return JSON.stringify(value);
}

function fromJson(record: Record<string, unknown>): Parameters {
  const result: Parameters = {};
  for (const [key, value] of Object.entries(record)) {
    const parameter = toParameter(key, value);
    if (parameter !== undefined) result[key] = parameter;
  }
  return result;
}

/** Keeps repeated form parameters as arrays so oidc-provider still sees (and judges) them. */
function fromForm(text: string): Parameters {
  const search = new URLSearchParams(text);
  const result: Parameters = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    result[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return result;
}

/** Form-encodes parameters, repeating a key for each value of an array. */
function toForm(parameters: Parameters): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    for (const item of Array.isArray(value) ? value : [value]) form.append(key, item);
  }
  return form.toString();
}

/** Auth0 clients name the resource indicator `audience`. */
function audienceToResource(parameters: Parameters): Parameters {
  const { audience, ...rest } = parameters;
  if (audience !== undefined && rest.resource === undefined) rest.resource = audience;
  return rest;
}

/**
 * Auth0 compatibility and polling discipline in front of oidc-provider:
 * - JSON bodies on the token and backchannel endpoints become the form body oidc-provider parses;
 * - `audience` becomes `resource` (body and `/authorize` query);
 * - CIBA polls faster than the advertised `interval` get `slow_down`.
 */
export function createRequestNormalizer(options: {
  tokenPath: string;
  backchannelPath: string;
  authorizationPath: string;
  intervalSeconds: number;
  /** Dynamic client registration (RFC 7591); see {@link applyRegistrationPolicy}. */
  registrationPath?: string;
  /** The provider's own (OIDC) scopes; default `openid offline_access profile email`. */
  staticScopes?: readonly string[];
}): Middleware {
  const lastPoll = new Map<string, number>();
  const bodyPaths = new Set([options.tokenPath, options.backchannelPath]);
  const staticScopes = new Set(options.staticScopes ?? ['openid', 'offline_access', 'profile', 'email']);

  return async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === options.registrationPath) {
      const refuse = (body: { error: string; error_description: string }) => {
        ctx.status = 400;
        ctx.body = body;
      };
      if (typeof ctx.is('application/json') !== 'string') {
        return refuse({ error: 'invalid_request', error_description: 'the registration must be JSON' });
      }
      const text = await readBodyText(ctx.req);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return refuse({
          error: 'invalid_request',
          error_description: 'the JSON request body could not be parsed',
        });
      }
      const checked = applyRegistrationPolicy(parsed, staticScopes);
      if ('refused' in checked) return refuse(checked.refused);
      replayBody(ctx, JSON.stringify(checked.body), 'application/json');
      return next();
    }

    if (ctx.method === 'GET' && ctx.path === options.authorizationPath && ctx.query.audience !== undefined) {
      const query = new URLSearchParams(ctx.querystring);
      if (!query.has('resource')) query.set('resource', query.get('audience') ?? '');
      query.delete('audience');
      ctx.querystring = query.toString();
    }

    if (ctx.method !== 'POST' || !bodyPaths.has(ctx.path)) return next();

    const isJson = typeof ctx.is('application/json') === 'string';
    const isForm = !isJson && typeof ctx.is('application/x-www-form-urlencoded') === 'string';
    if (!isJson && !isForm) return next();

    const text = await readBodyText(ctx.req);
    let parameters: Parameters;
    if (isJson) {
      let parsed: unknown;
      try {
        parsed = text.length === 0 ? {} : JSON.parse(text);
      } catch {
        ctx.status = 400;
        ctx.body = {
          error: 'invalid_request',
          error_description: 'the JSON request body could not be parsed',
        };
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'the JSON request body must be an object' };
        return;
      }
      parameters = fromJson(parsed as Record<string, unknown>);
    } else {
      parameters = fromForm(text);
    }
    const body = audienceToResource(parameters);

    if (
      ctx.path === options.tokenPath &&
      body.grant_type === cibaGrantType &&
      typeof body.auth_req_id === 'string' &&
      body.auth_req_id.length > 0
    ) {
      const now = Date.now();
      if (lastPoll.size > 10_000) {
        for (const [id, at] of lastPoll) if (now - at > 15 * 60 * 1000) lastPoll.delete(id);
      }
      const previous = lastPoll.get(body.auth_req_id);
      lastPoll.set(body.auth_req_id, now);
      // 100 ms of tolerance for timer jitter on the client side.
      if (previous !== undefined && now - previous < options.intervalSeconds * 1000 - 100) {
        ctx.status = 400;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = {
          error: 'slow_down',
          error_description: `poll no more often than every ${options.intervalSeconds} seconds`,
        };
        return;
      }
    }

    replayBody(ctx, toForm(body), 'application/x-www-form-urlencoded');
    return next();
  };
}
