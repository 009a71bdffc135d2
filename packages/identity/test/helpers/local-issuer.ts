import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** A tiny OpenID issuer on loopback: discovery document and JWKS over real HTTP, tokens signed with `jose`. */
export interface LocalIssuer {
  issuer: string;
  jwksUri: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** Requests served so far, by path. */
  requests: string[];
  /** Tokens its RFC 7662 introspection endpoint reports inactive. */
  revoked: Set<string>;
  /** The form parameters of the last token request, as received (its token endpoint refuses every request). */
  lastTokenRequest: URLSearchParams | undefined;
  /** Signs an access token (typ at+jwt) with sane defaults; `claims` and `header` override them. */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

export interface SignOptions {
  header?: Record<string, unknown>;
  /** Sign with this key instead of the issuer's (still advertising the issuer's kid unless header.kid says else). */
  key?: CryptoKey;
  omit?: string[];
}

export const AUDIENCE = 'https://api.agentgate.test/';

export async function startLocalIssuer(options: { kid?: string } = {}): Promise<LocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = options.kid ?? `key-${Math.random().toString(36).slice(2, 10)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const requests: string[] = [];
  const revoked = new Set<string>();
  const state: { lastTokenRequest: URLSearchParams | undefined } = { lastTokenRequest: undefined };
  let base = '';
  const server: Server = createServer(async (request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/.well-known/openid-configuration') {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          issuer: `${base}/`,
          jwks_uri: `${base}/jwks`,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          introspection_endpoint: `${base}/introspect`,
        }),
      );
      return;
    }
    if (request.url === '/token' && request.method === 'POST') {
      // A careless server: it refuses every grant and quotes back, bare, every value it was sent and the secret.
      const { form, secret } = await readClientRequest(request);
      state.lastTokenRequest = form;
      const values = [...form.entries()].filter(([name]) => name !== 'grant_type').map(([, value]) => value);
      response.statusCode = 400;
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          error: 'invalid_grant',
          error_description: `cannot use ${[...values, secret].join(' | ')}`,
        }),
      );
      return;
    }
    if (request.url === '/introspect' && request.method === 'POST') {
      const { form, id, secret } = await readClientRequest(request);
      const token = form.get('token') ?? '';
      const authorized = id === 'agent-app' && secret === 'agent-secret';
      response.statusCode = authorized ? 200 : 401;
      if (!authorized) {
        // Quotes the wrong secret and the token back in its challenge, as a careless server might.
        response.setHeader(
          'www-authenticate',
          `Basic realm="idp", error="invalid_client", error_description="no client with secret ${secret} may introspect ${token}"`,
        );
      }
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify(
          authorized
            ? revoked.has(token)
              ? { active: false }
              : { active: true, sub: 'user-alice' }
            : { error: 'invalid_client' },
        ),
      );
      return;
    }
    if (request.url === '/jwks') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(state, {
    issuer: `${base}/`,
    jwksUri: `${base}/jwks`,
    kid,
    privateKey,
    publicJwk,
    requests,
    revoked,
    async sign(claims: JWTPayload = {}, signOptions: SignOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        iss: `${base}/`,
        sub: 'user-alice',
        aud: AUDIENCE,
        iat: now,
        exp: now + 300,
        client_id: 'agent-app',
        scope: 'openid calendar:read',
        tenant: 'acme',
        roles: ['member'],
        jti: crypto.randomUUID(),
        ...claims,
      };
      for (const name of signOptions.omit ?? []) delete payload[name];
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...signOptions.header } as { alg: string })
        .sign(signOptions.key ?? privateKey);
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  });
}

/** The form body of a client request and its client credentials (HTTP Basic, else `client_secret` in the body). */
async function readClientRequest(
  request: IncomingMessage,
): Promise<{ form: URLSearchParams; id: string; secret: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) {
    return { form, id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
  }
  // RFC 6749 §2.3.1: the id and secret are form-encoded before base64.
  const [id = '', secret = ''] = atob(header.slice('Basic '.length))
    .split(':')
    .map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
  return { form, id, secret };
}
