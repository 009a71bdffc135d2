import { CookieJar } from '../../internal/cookie-jar';

const MAX_REDIRECTS = 10;

/**
 * Drives the connections page like a browser with the given session cookies: reads the connection's
 * CSRF token from `GET /connections` (JSON), posts the connect form, then follows the same-origin
 * redirects (external authorize, callback) and returns the callback's JSON.
 */
export async function connectOverHttp(options: {
  baseUrl: string;
  connection: string;
  scopes: readonly string[];
  cookie: string;
  signal?: AbortSignal;
  /** @default the global fetch */
  fetch?: typeof globalThis.fetch;
}): Promise<{ sub: string; scopes: string[] }> {
  const { baseUrl, connection, scopes, signal } = options;
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const jar = new CookieJar(options.cookie);
  const origin = new URL(baseUrl).origin;
  const send = async (url: URL, init: RequestInit = {}) => {
    const response = await fetchImplementation(url, {
      redirect: 'manual',
      ...init,
      headers: {
        accept: 'application/json',
        cookie: jar.header(),
        ...(init.headers as Record<string, string>),
      },
      ...(signal ? { signal } : {}),
    });
    jar.store(response);
    return response;
  };
  const stopped = async (url: URL, response: Response) => {
    const body: unknown = await response.json().catch(() => undefined);
    const detail =
      typeof body === 'object' && body !== null && 'error_description' in body
        ? String((body as { error_description: unknown }).error_description)
        : `HTTP ${response.status}`;
    return new Error(`connecting '${connection}' stopped at ${url.pathname}: ${detail}`);
  };

  const listUrl = new URL(`${baseUrl}/connections`);
  const list = await send(listUrl);
  if (list.status !== 200) throw await stopped(listUrl, list);
  const listed = (await list.json()) as { connections?: { name?: unknown; csrf?: unknown }[] };
  const csrf = listed.connections?.find((entry) => entry.name === connection)?.csrf;
  if (typeof csrf !== 'string') {
    throw new Error(`connecting '${connection}' stopped at ${listUrl.pathname}: no form for the connection`);
  }

  let url = new URL(`${baseUrl}/connections/${connection}/connect`);
  const form = new URLSearchParams({ csrf });
  if (scopes.length > 0) form.set('scopes', scopes.join(' '));
  let response = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      if (url.origin !== origin) {
        throw new Error(`connecting '${connection}' redirected off the dev server (${url.origin})`);
      }
      response = await send(url);
      continue;
    }
    if (response.status === 200) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => undefined);
      if (typeof body === 'object' && body !== null && 'sub' in body) {
        const result = body as { sub: string; scopes: string[] };
        return { sub: result.sub, scopes: result.scopes };
      }
    }
    throw await stopped(url, response);
  }
  throw new Error(`connecting '${connection}' followed more than ${MAX_REDIRECTS} redirects`);
}
