import type { Middleware } from 'koa';
import { readBodyText } from './read-body';

const cibaGrantType = 'urn:openid:params:grant-type:ciba';

/** Turns a JSON value into the string form a form-encoded OAuth parameter carries. */
function toParameter(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function normalize(record: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    const parameter = toParameter(value);
    if (parameter !== undefined) result[key] = parameter;
  }
  // Auth0 clients name the resource indicator `audience`.
  if (result.audience !== undefined && result.resource === undefined) result.resource = result.audience;
  delete result.audience;
  return result;
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
}): Middleware {
  const lastPoll = new Map<string, number>();
  const bodyPaths = new Set([options.tokenPath, options.backchannelPath]);

  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === options.authorizationPath && ctx.query.audience !== undefined) {
      const query = new URLSearchParams(ctx.querystring);
      if (!query.has('resource')) query.set('resource', query.get('audience') ?? '');
      query.delete('audience');
      ctx.querystring = query.toString();
    }

    if (ctx.method !== 'POST' || !bodyPaths.has(ctx.path)) return next();

    const isJson = ctx.is('application/json') !== false && ctx.is('application/json') !== null;
    const isForm = !isJson && typeof ctx.is('application/x-www-form-urlencoded') === 'string';
    if (!isJson && !isForm) return next();

    const text = await readBodyText(ctx.req);
    let raw: Record<string, unknown>;
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
      raw = parsed as Record<string, unknown>;
    } else {
      raw = Object.fromEntries(new URLSearchParams(text));
    }
    const body = normalize(raw);

    if (ctx.path === options.tokenPath && body.grant_type === cibaGrantType && body.auth_req_id) {
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

    // oidc-provider reads an already-consumed body from `req.body` (form content type).
    (ctx.req as unknown as { body: Record<string, string> }).body = body;
    ctx.request.headers['content-type'] = 'application/x-www-form-urlencoded';
    return next();
  };
}
