import * as client from 'openid-client';
import type { DevClient, DevLoginOptions, DevLoginTokens, DevUser } from '../types';
import { CookieJar } from './cookie-jar';
import { loa2 } from './provider-config';

const formAction = (html: string, action: string): string | undefined =>
  new RegExp(`action="(/interaction/[\\w-]+/${action})"`).exec(html)?.[1];

export interface LoginHelperContext {
  issuer: string;
  users: DevUser[];
  clients: DevClient[];
  apiAudience: string;
  apiScopes: string[];
  otpCode: string;
  /** The fetch used to reach the dev server (one that trusts its CA in `https` mode). */
  fetch: typeof globalThis.fetch;
}

/**
 * Drives the authorization code + PKCE flow over HTTP like a browser would: fetches the login page,
 * posts the form, confirms consent, follows redirects, and exchanges the code with openid-client.
 */
export async function loginThroughPages(
  context: LoginHelperContext,
  username: string,
  options: DevLoginOptions = {},
): Promise<DevLoginTokens> {
  return (await signInThroughPages(context, username, options)).tokens;
}

/**
 * Same as {@link loginThroughPages}, and also returns the browser's cookies (a `Cookie` header value)
 * of the signed-in provider session. `username` may also be a subject.
 */
export async function signInThroughPages(
  context: LoginHelperContext,
  username: string,
  options: DevLoginOptions = {},
): Promise<{ tokens: DevLoginTokens; cookie: string }> {
  const user = context.users.find(
    (candidate) => candidate.username === username || candidate.sub === username,
  );
  if (!user) throw new TypeError(`login: unknown user '${username}'`);
  const seededClient = options.clientId
    ? context.clients.find((candidate) => candidate.clientId === options.clientId)
    : context.clients[0];
  if (!seededClient) throw new TypeError(`login: unknown client '${options.clientId ?? '(none seeded)'}'`);
  const redirectUri = seededClient.redirectUris[0];
  if (!redirectUri) throw new TypeError(`login: client '${seededClient.clientId}' has no redirect URI`);

  const insecure = context.issuer.startsWith('http:');
  const config = await client.discovery(
    new URL(context.issuer),
    seededClient.clientId,
    undefined,
    client.ClientSecretBasic(seededClient.clientSecret),
    {
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      [client.customFetch]: (url, init) => context.fetch(url, init as RequestInit),
    },
  );
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const parameters: Record<string, string> = {
    redirect_uri: redirectUri,
    scope: options.scope ?? ['openid profile email offline_access', ...context.apiScopes].join(' '),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    prompt: 'consent',
  };
  if (options.resource !== undefined) parameters.resource = options.resource;
  if (options.maxAge !== undefined) parameters.max_age = String(options.maxAge);
  if (options.acrValues !== undefined) parameters.acr_values = options.acrValues;
  const secondFactor = options.secondFactor === true || (options.acrValues ?? '').split(' ').includes(loa2);

  const jar = new CookieJar();
  const request = async (url: URL, body?: Record<string, string>) => {
    const response = await context.fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body: new URLSearchParams(body).toString() } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    jar.store(response);
    return response;
  };

  let url = client.buildAuthorizationUrl(config, parameters);
  let response = await request(url);
  for (let step = 0; step < 20; step++) {
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', url);
      if (location.href.startsWith(redirectUri)) {
        const tokens = await client.authorizationCodeGrant(config, location, {
          pkceCodeVerifier: codeVerifier,
          expectedState: state,
          expectedNonce: nonce,
          idTokenExpected: true,
        });
        return {
          cookie: jar.header(),
          tokens: {
            access_token: tokens.access_token,
            token_type: tokens.token_type,
            ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
            ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
            ...(tokens.expires_in === undefined ? {} : { expires_in: tokens.expires_in }),
            ...(tokens.scope ? { scope: tokens.scope } : {}),
          },
        };
      }
      url = location;
      response = await request(url);
      continue;
    }
    const html = await response.text();
    const login = formAction(html, 'login');
    const confirm = formAction(html, 'confirm');
    if (login && step < 19) {
      url = new URL(login, url);
      response = await request(url, {
        username: user.username,
        password: options.password ?? user.password,
        ...(secondFactor ? { otp: context.otpCode } : {}),
      });
      if (response.status === 401)
        throw new Error(`login: the login page rejected the credentials of '${username}'`);
      if (response.status === 429) {
        const lockout = /id="lockout" data-reason="(\w+)" data-address="([^"]*)"/.exec(await response.text());
        const who =
          lockout?.[1] === 'address'
            ? `from this client address (${lockout[2]}), whichever the account`
            : `for '${username}'`;
        throw new Error(
          `login: too many failed sign-in attempts ${who}; ` +
            `the login page accepts another in ${response.headers.get('retry-after') ?? '?'} seconds`,
        );
      }
      continue;
    }
    if (confirm) {
      url = new URL(confirm, url);
      response = await request(url, {});
      continue;
    }
    const reason = [...html.matchAll(/<p[^>]*>([^<]*)<\/p>/g)].map((found) => found[1]).join(': ');
    throw new Error(`login: unexpected page (HTTP ${response.status}) at ${url.pathname}: ${reason}`);
  }
  throw new Error('login: too many redirects');
}
