import { createRemoteJWKSet, type JWTVerifyOptions, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { DevServer } from '../src/index';
import { CookieJar } from '../src/internal/cookie-jar';

/** openid-client configuration for a seeded client of `server` (client_secret_basic by default). */
export function clientConfig(
  server: DevServer,
  options: { clientId?: string; auth?: 'basic' | 'post' } = {},
): Promise<client.Configuration> {
  const seeded = server.clients.find(
    (candidate) => candidate.clientId === (options.clientId ?? 'agentgate-agent'),
  );
  if (!seeded) throw new Error('unknown client');
  const auth =
    options.auth === 'post'
      ? client.ClientSecretPost(seeded.clientSecret)
      : client.ClientSecretBasic(seeded.clientSecret);
  return client.discovery(new URL(server.issuer), seeded.clientId, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

/** A tiny cookie-keeping browser over fetch for driving the HTML pages by hand. */
export class PageSession {
  readonly jar = new CookieJar();

  async request(
    url: string | URL,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.jar.store(response);
    return response;
  }

  /** Follows redirects (GET) from `url` until a non-redirect response; returns it with its final URL. */
  async follow(url: string | URL, response?: Response): Promise<{ response: Response; url: URL }> {
    let current = new URL(url);
    let last = response ?? (await this.request(current));
    for (let hops = 0; hops < 15 && last.status >= 300 && last.status < 400; hops++) {
      current = new URL(last.headers.get('location') ?? '', current);
      last = await this.request(current);
    }
    return { response: last, url: current };
  }

  /** Signs in through the login page reached at `url` and follows redirects to the end. */
  async signIn(url: string | URL, username: string, password: string, otp?: string) {
    const { response, url: pageUrl } = await this.follow(url);
    const html = await response.text();
    const action = /action="(\/interaction\/[\w-]+\/login)"/.exec(html)?.[1];
    if (!action) throw new Error(`no login form at ${pageUrl.pathname}`);
    const loginUrl = new URL(action, pageUrl);
    const posted = await this.request(loginUrl, { form: { username, password, ...(otp ? { otp } : {}) } });
    return this.follow(loginUrl, posted);
  }
}

/** Verifies an access token for the demo API as a resource server would (JWKS over HTTP, issuer, audience, `at+jwt`). */
export function verifyApiToken(server: DevServer, token: string, options: JWTVerifyOptions = {}) {
  const jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
  return jwtVerify(token, jwks, {
    issuer: server.issuer,
    audience: server.apiAudience,
    typ: 'at+jwt',
    ...options,
  });
}
