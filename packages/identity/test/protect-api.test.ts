import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCaller, type ApiCallerVariables, createAccessTokenVerifier, protectApi } from '../src';

const DOCS_API = 'https://docs-api.agentgate.local/';
const AGENT = 'agentgate-agent';
const METADATA = 'https://docs-api.agentgate.local/.well-known/oauth-protected-resource';

let dev: DevServer;
let honoUrl: string;
let expressUrl: string;
const servers: Server[] = [];

const describeCaller = (caller: ApiCaller) => ({
  user: caller.user.sub,
  actor: caller.actor?.sub ?? null,
  scopes: caller.scopes,
  sessionScopes: caller.session.scopes,
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) =>
    server.listening ? resolve() : server.once('listening', () => resolve()),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dev = await startDevServer({
    fga: false,
    resourceServers: [{ resource: DOCS_API, scopes: ['docs:read', 'docs:write'] }],
  });
  const verifier = createAccessTokenVerifier({ issuer: dev.issuer, audience: DOCS_API });
  // "This API accepts agents only for docs:read"; writing is for users themselves.
  const agents = {
    scopes: ['docs:read'],
    allow: ({ actor }: { actor: { sub: string } }) => actor.sub === AGENT,
  };
  const read = protectApi({ verifier, requiredScopes: ['docs:read'], agents, resourceMetadataUrl: METADATA });
  const write = protectApi({
    verifier,
    requiredScopes: ['docs:write'],
    agents,
    resourceMetadataUrl: METADATA,
  });

  const hono = new Hono<{ Variables: ApiCallerVariables }>();
  hono.use('/docs/*', read.hono());
  hono.get('/docs/list', (c) => c.json(describeCaller(c.get('agentgateCaller'))));
  hono.use('/write/*', write.hono());
  hono.post('/write/doc', (c) => c.json(describeCaller(c.get('agentgateCaller'))));
  honoUrl = await listen(serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }) as Server);

  expressUrl = await startExpressApi();
});

let expressProcess: ChildProcess | undefined;

/** The same API on Express, in a child process (see support/express-api.ts). */
async function startExpressApi(): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@agentgate/source', 'test/support/express-api.ts'],
    {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, ISSUER: dev.issuer, AUDIENCE: DOCS_API, METADATA, AGENT },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  expressProcess = child;
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (buffered.includes('\n')) resolve(buffered.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the Express API exited with ${code}`)));
  });
  return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
}

afterAll(async () => {
  expressProcess?.kill('SIGTERM');
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  await dev?.close();
});

/** The user's own token for the docs API. */
async function ownToken(username = 'alice@acme') {
  return (await dev.login(username, { resource: DOCS_API, scope: 'openid docs:read docs:write' }))
    .access_token;
}

/** The agent's on-behalf-of token (RFC 8693) for the user's token. */
async function delegatedToken(subjectToken: string, scope = 'docs:read docs:write') {
  const secret = dev.clients.find((candidate) => candidate.clientId === AGENT)!.clientSecret;
  const config = await client.discovery(new URL(dev.issuer), AGENT, secret, undefined, {
    execute: [client.allowInsecureRequests],
  });
  const response = await client.genericGrantRequest(
    config,
    'urn:ietf:params:oauth:grant-type:token-exchange',
    {
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: DOCS_API,
      scope,
    },
  );
  return response.access_token;
}

describe.each(['Hono', 'Express'])('protectApi with %s', (framework) => {
  const base = () => (framework === 'Hono' ? honoUrl : expressUrl);
  const get = (path: string, token?: string, method = 'GET') =>
    fetch(`${base()}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('hands the user, and no actor, to the handler for the user’s own token', async () => {
    const response = await get('/docs/list', await ownToken());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      user: 'alice',
      actor: null,
      scopes: ['docs:read', 'docs:write'],
      sessionScopes: ['docs:read', 'docs:write'],
    });
  });

  it('hands the user and the acting agent to the handler for an on-behalf-of token, within the agent scopes', async () => {
    const token = await delegatedToken(await ownToken('bob@acme'));
    expect(decodeJwt(token)).toMatchObject({
      sub: 'bob',
      act: { sub: AGENT },
      scope: 'docs:read docs:write',
    });
    const response = await get('/docs/list', token);
    // The session handed on (e.g. to gate.run) holds the narrowed scopes too, not the token's.
    expect(await response.json()).toEqual({
      user: 'bob',
      actor: AGENT,
      scopes: ['docs:read'],
      sessionScopes: ['docs:read'],
    });
  });

  it('accepts agents only for the scopes the API allows them: 403 access_denied for writing', async () => {
    const token = await delegatedToken(await ownToken());
    const refused = await get('/write/doc', token, 'POST');
    expect(refused.status).toBe(403);
    // Not insufficient_scope: the token holds docs:write, agents may not use it here; re-authorizing cannot help.
    expect(refused.headers.get('www-authenticate')).toContain('error="access_denied"');
    expect(await refused.json()).toMatchObject({ error: 'access_denied' });
    // A user's own token without the scope is invited to re-authorize for it.
    const readOnly = (await dev.login('alice@acme', { resource: DOCS_API, scope: 'openid docs:read' }))
      .access_token;
    const narrow = await get('/write/doc', readOnly, 'POST');
    expect(narrow.status).toBe(403);
    expect(narrow.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(narrow.headers.get('www-authenticate')).toContain('scope="docs:write"');
    // The same user writes with their own token.
    expect((await get('/write/doc', await ownToken(), 'POST')).status).toBe(200);
  });

  it('refuses a forged act (a token signed by someone else) with 401 invalid_token', async () => {
    const genuine = decodeJwt(await delegatedToken(await ownToken()));
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...genuine, act: { sub: 'evil-agent' }, client_id: 'evil-agent' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .sign(privateKey);
    const response = await get('/docs/list', forged);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(JSON.stringify(await response.json())).not.toContain(forged);
  });

  it('answers 401 with a Bearer challenge and the resource metadata without a token', async () => {
    const response = await get('/docs/list');
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${METADATA}"`);
  });
});

describe('protectApi agent policy', () => {
  it('refuses every delegated token with agents: false, and an agent the allow hook refuses', async () => {
    const verifier = createAccessTokenVerifier({ issuer: dev.issuer, audience: DOCS_API });
    const token = await delegatedToken(await ownToken(), 'docs:read');
    const noAgents = protectApi({ verifier, agents: false });
    await expect(noAgents.authenticate(`Bearer ${token}`)).rejects.toMatchObject({
      status: 403,
      error: 'access_denied',
    });
    const otherAgentsOnly = protectApi({
      verifier,
      agents: { allow: ({ actor }) => actor.sub === 'another-agent' },
    });
    await expect(otherAgentsOnly.authenticate(`Bearer ${token}`)).rejects.toMatchObject({
      status: 403,
      error: 'access_denied',
    });
    const throwing = protectApi({
      verifier,
      agents: {
        allow: () => {
          throw new Error('policy store down');
        },
      },
    });
    await expect(throwing.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ status: 403 });
    // A user's own token is not affected by the agent policy.
    expect((await noAgents.authenticate(`Bearer ${await ownToken()}`)).actor).toBeUndefined();
  });

  it('checks its options at creation', () => {
    const verifier = createAccessTokenVerifier({ issuer: 'https://id.example/', audience: DOCS_API });
    expect(() => protectApi({ verifier, agent: {} } as never)).toThrow(TypeError);
    expect(() => protectApi({ verifier, agents: { scope: ['a'] } } as never)).toThrow(TypeError);
    expect(() => protectApi({ verifier: (() => {}) as never })).toThrow(TypeError);
  });
});
