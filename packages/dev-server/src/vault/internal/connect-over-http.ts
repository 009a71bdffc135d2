import { CookieJar } from '../../internal/cookie-jar';

const MAX_REDIRECTS = 10;

/**
 * Drives `GET /connections/:connection/connect` like a browser with the given session cookies,
 * following same-origin redirects (external authorize, callback) and returning the callback's JSON.
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
  let url = new URL(`${baseUrl}/connections/${connection}/connect`);
  if (scopes.length > 0) {
    url.searchParams.set('scopes', scopes.join(' '));
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const response = await fetchImplementation(url, {
      redirect: 'manual',
      headers: { accept: 'application/json', cookie: jar.header() },
      ...(signal ? { signal } : {}),
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      if (url.origin !== origin) {
        throw new Error(`connecting '${connection}' redirected off the dev server (${url.origin})`);
      }
      continue;
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status === 200 && typeof body === 'object' && body !== null && 'sub' in body) {
      const result = body as { sub: string; scopes: string[] };
      return { sub: result.sub, scopes: result.scopes };
    }
    const detail =
      typeof body === 'object' && body !== null && 'error_description' in body
        ? String((body as { error_description: unknown }).error_description)
        : `HTTP ${response.status}`;
    throw new Error(`connecting '${connection}' stopped at ${url.pathname}: ${detail}`);
  }
  throw new Error(`connecting '${connection}' followed more than ${MAX_REDIRECTS} redirects`);
}
