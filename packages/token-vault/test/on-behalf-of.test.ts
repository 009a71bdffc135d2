import { createGate, type GateDenied, memoryAudit } from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { createAccessTokenVerifier, protectApi } from '@agentgate/identity';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnBehalfOf, getDelegatedToken } from '../src';

const DOCS_API = 'https://docs-api.agentgate.local/';
const AGENT = 'agentgate-agent';

let dev: DevServer;
let tokenRequests = 0;

beforeAll(async () => {
  dev = await startDevServer({
    fga: false,
    resourceServers: [{ resource: DOCS_API, scopes: ['docs:read', 'docs:write'], name: 'Docs API' }],
  });
});

afterAll(async () => {
  await dev?.close();
});

const agentSecret = () => dev.clients.find((candidate) => candidate.clientId === AGENT)!.clientSecret;

/** The user's session as the agent holds it: from their token for the demo API (which has docs:read only). */
async function userSession(username = 'alice@acme') {
  const tokens = await dev.login(username);
  const verify = createAccessTokenVerifier({ issuer: dev.issuer, audience: dev.apiAudience });
  return verify(tokens.access_token);
}

function onBehalfOf() {
  return createOnBehalfOf({
    issuer: dev.issuer,
    clientId: AGENT,
    clientSecret: agentSecret(),
    audience: DOCS_API,
    allowInsecureRequests: true,
    fetch: (url, init) => {
      if (new URL(url).pathname === '/oauth/token') tokenRequests += 1;
      return fetch(url, init);
    },
  });
}

/** The docs API as a Fetch-style handler behind protectApi: it answers with who called. */
function docsApiHandler() {
  return protectApi({
    verifier: createAccessTokenVerifier({ issuer: dev.issuer, audience: DOCS_API }),
    requiredScopes: ['docs:read'],
    agents: { scopes: ['docs:read'] },
  }).fetch((_request, caller) =>
    Response.json({ user: caller.user.sub, actor: caller.actor?.sub ?? null, scopes: caller.scopes }),
  );
}
/** The claims of a token the docs API accepts (verified, not just decoded). */
const claimsOf = async (token: string) =>
  (
    await createAccessTokenVerifier({ issuer: dev.issuer, audience: [DOCS_API, dev.apiAudience] }).verify(
      token,
    )
  ).claims;
const call = (token: string) =>
  docsApiHandler()(new Request(`${DOCS_API}docs`, { headers: { authorization: `Bearer ${token}` } }));

describe('createOnBehalfOf', () => {
  it('gets a token for the API with the user as sub and the agent as act, narrowed to the asked scopes', async () => {
    const session = await userSession();
    const token = await onBehalfOf().getToken(session, { scopes: ['docs:read'] });
    const claims = await claimsOf(token.accessToken);
    expect(claims).toMatchObject({
      sub: 'alice',
      aud: DOCS_API,
      act: { sub: AGENT },
      client_id: AGENT,
      scope: 'docs:read',
    });
    expect(token.scopes).toEqual(['docs:read']);

    const response = await call(token.accessToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: 'alice', actor: AGENT, scopes: ['docs:read'] });
  });

  it('treats a token without act as the user calling on their own', async () => {
    const own = await dev.login('bob@acme', { resource: DOCS_API, scope: 'openid docs:read' });
    expect((await claimsOf(own.access_token)).act).toBeUndefined();
    const response = await call(own.access_token);
    expect(await response.json()).toEqual({ user: 'bob', actor: null, scopes: ['docs:read'] });
  });

  it('cannot widen scopes: a scope the user token lacks, or the API does not take, is refused', async () => {
    const session = await userSession();
    const refused = (await onBehalfOf()
      .getToken(session, { scopes: ['docs:write'] })
      .catch((error: unknown) => error)) as GateDenied;
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });

    // On the wire: the dev server answers invalid_scope for a scope the user holds but the API does not accept.
    const config = await client.discovery(new URL(dev.issuer), AGENT, agentSecret(), undefined, {
      execute: [client.allowInsecureRequests],
    });
    await expect(
      client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
        subject_token: await session.subjectToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: DOCS_API,
        scope: 'refunds:write',
      }),
    ).rejects.toMatchObject({ error: 'invalid_scope' });
    // And an actor_token naming another actor is refused: the authenticated client is the actor.
    await expect(
      client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
        subject_token: await session.subjectToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: DOCS_API,
        actor_token: 'someone-else',
        actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      }),
    ).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('caches per user and scopes, with one exchange for concurrent callers', async () => {
    const session = await userSession();
    const delegation = onBehalfOf();
    const before = tokenRequests;
    const [first, second] = await Promise.all([
      delegation.getToken(session, { scopes: ['docs:read'] }),
      delegation.getToken(session, { scopes: ['docs:read'] }),
    ]);
    const third = await delegation.getToken(session, { scopes: ['docs:read'] });
    expect(tokenRequests - before).toBe(1);
    expect(second.accessToken).toBe(first.accessToken);
    expect(third.accessToken).toBe(first.accessToken);
  });

  it('never serves a token of the same user holding fewer scopes one exchanged from a broader token', async () => {
    const delegation = onBehalfOf();
    const broad = await userSession();
    const narrow = await createAccessTokenVerifier({ issuer: dev.issuer, audience: DOCS_API }).verify(
      (await dev.login('alice@acme', { resource: DOCS_API, scope: 'openid docs:write' })).access_token,
    );
    expect(narrow.session.scopes).not.toContain('docs:read');
    await delegation.getToken(broad, { scopes: ['docs:read'] });
    await expect(delegation.getToken(narrow.session, { scopes: ['docs:read'] })).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
  });

  it('reads scopes as the token vault does: OAuth scope tokens only, with a hint for a space-separated string', async () => {
    const api = onBehalfOf();
    const session = await userSession('bob@acme');
    for (const scopes of [[], ['docs:read', 'doc"s'], ['docs\\read'], ['dócs:read'], ['docs read']]) {
      expect(() => api.guard({ scopes })).toThrow(
        /onBehalfOf\.guard: request\.scopes must be a non-empty array/,
      );
      await expect(api.getToken(session, { scopes })).rejects.toThrow(/OAuth scope tokens/);
    }
    expect(() => api.guard({ scopes: 'docs:read docs:write' as never })).toThrow(
      /got a string: write scopes: \["docs:read","docs:write"\]/,
    );
  });

  it('attaches the delegated token through a guard of kind vault', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const guard = onBehalfOf().guard({ scopes: ['docs:read'] });
    expect(guard.kind).toBe('vault');
    const session = await userSession('bob@acme');
    const body = await gate.run({ tool: { name: 'read_docs' }, args: {} }, session, [guard], async () =>
      (await call(getDelegatedToken(DOCS_API))).json(),
    );
    expect(body).toEqual({ user: 'bob', actor: AGENT, scopes: ['docs:read'] });
  });
});
