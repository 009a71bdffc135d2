import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig, PageSession } from './helpers';

// oidc-provider refuses bodies over 56 KiB itself; the dev server's limit is the same.
const limit = 56 * 1024;
const oversized = `padding=${'x'.repeat(limit + 1024)}`;
const huge = `padding=${'x'.repeat(5 * 1024 * 1024)}`;
const refusal = {
  error: 'invalid_request',
  error_description: `the request body is larger than ${limit} bytes`,
};

let server: DevServer;
let config: client.Configuration;

beforeAll(async () => {
  server = await startDevServer({ cibaIntervalSeconds: 1 });
  config = await clientConfig(server);
});
afterAll(async () => {
  await server.close();
});

/** A body sent in chunks without `Content-Length`, so only the route's reader can notice its size. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 8192));
      offset += 8192;
    },
  });
}

async function post(
  url: string,
  options: {
    type?: string;
    cookie?: string;
    accept?: string;
    stream?: boolean;
    headers?: Record<string, string>;
    body?: string;
  } = {},
) {
  const body = options.body ?? oversized;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.type ?? 'application/x-www-form-urlencoded',
      accept: options.accept ?? 'application/json',
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
    ...(options.stream ? { body: chunked(body), duplex: 'half' } : { body }),
  } as RequestInit);
  return { status: response.status, body: await response.text() };
}

/** A signed-in browser session (cookie header) and a pending approval of its user. */
async function signedInWithApproval() {
  const browser = new PageSession();
  await browser.signIn(server.url('/inbox'), 'bob@acme', 'bob-password');
  await client.initiateBackchannelAuthentication(config, {
    scope: 'openid',
    login_hint: 'bob',
    binding_message: 'Oversized decision',
  });
  const item = await server.approvals.waitFor({ sub: 'bob', status: 'pending' });
  return { cookie: browser.jar.header(), item };
}

describe('startDevServer request body limit', () => {
  it.each([
    ['token endpoint (form)', '/oauth/token', 'application/x-www-form-urlencoded'],
    ['token endpoint (JSON)', '/oauth/token', 'application/json'],
    ['backchannel endpoint', '/bc-authorize', 'application/json'],
    ['introspection (a provider route)', '/oauth/introspect', 'application/x-www-form-urlencoded'],
    ['revocation (a provider route)', '/oauth/revoke', 'application/x-www-form-urlencoded'],
    ['pushed authorization (a provider route)', '/oauth/par', 'application/x-www-form-urlencoded'],
    ['login form', '/interaction/unknown/login', 'application/x-www-form-urlencoded'],
    ['inbox decision', '/inbox/unknown/approve', 'application/x-www-form-urlencoded'],
    ['connect form', '/connections/acme-calendar/connect', 'application/x-www-form-urlencoded'],
    ['mock provider token endpoint', '/ext/acme-calendar/token', 'application/x-www-form-urlencoded'],
    ['mock provider API', '/ext/acme-calendar/api/events', 'application/json'],
  ])('answers 413 with a JSON error for an oversized %s body', async (_name, path, type) => {
    await expect(post(server.url(path), { type })).resolves.toEqual({
      status: 413,
      body: JSON.stringify(refusal),
    });
  });

  it.each([
    ['token endpoint', '/oauth/token'],
    ['backchannel endpoint', '/bc-authorize'],
    ['mock provider token endpoint', '/ext/acme-calendar/token'],
    ['introspection endpoint (a provider route)', '/oauth/introspect'],
    ['revocation endpoint (a provider route)', '/oauth/revoke'],
    ['pushed authorization endpoint (a provider route)', '/oauth/par'],
  ])('answers 413 to a chunked body without Content-Length at the %s', async (_name, path) => {
    const answer = await post(server.url(path), { stream: true });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(refusal);
  });

  it.each([
    ['introspection', '/oauth/introspect'],
    ['revocation', '/oauth/revoke'],
    ['pushed authorization', '/oauth/par'],
  ])("answers 413 at oidc-provider's %s endpoint to a body between 56 and 64 KiB", async (_name, path) => {
    const between = `token=${'x'.repeat(60 * 1024)}`;
    for (const stream of [false, true]) {
      const answer = await post(server.url(path), { body: between, stream });
      expect(answer).toEqual({ status: 413, body: JSON.stringify(refusal) });
    }
  });

  it.each([
    ['introspection', '/oauth/introspect'],
    ['revocation', '/oauth/revoke'],
    ['pushed authorization', '/oauth/par'],
    ['token', '/oauth/token'],
  ])('answers 413, not a reset, to a 5 MB body at the %s endpoint', async (_name, path) => {
    for (const stream of [false, true]) {
      const answer = await post(server.url(path), { body: huge, stream });
      expect(answer).toEqual({ status: 413, body: JSON.stringify(refusal) });
    }
  });

  it('reads a chunked body within the limit once, for the provider route that uses it', async () => {
    // A refresh token: the JWT access tokens are not introspectable.
    const { refresh_token: token = '' } = await server.login('alice@acme');
    const agent = server.clients.find((candidate) => candidate.clientId === 'agentgate-agent');
    const answer = await post(server.url('/oauth/introspect'), {
      body: new URLSearchParams({ token }).toString(),
      stream: true,
      headers: {
        authorization: `Basic ${Buffer.from(`${agent?.clientId}:${agent?.clientSecret}`).toString('base64')}`,
      },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ active: true, sub: 'alice' });
  });

  it('answers 413 to chunked bodies on the signed-in pages (inbox decision, connect form)', async () => {
    const { cookie, item } = await signedInWithApproval();
    const inbox = await post(server.url(`/inbox/${item.id}/approve`), { stream: true, cookie });
    expect(inbox.status).toBe(413);
    expect(JSON.parse(inbox.body)).toEqual(refusal);
    expect(server.approvals.list({ sub: 'bob' }).find((entry) => entry.id === item.id)?.status).toBe(
      'pending',
    );

    const connect = await post(server.url('/connections/acme-calendar/connect'), { stream: true, cookie });
    expect(connect.status).toBe(413);
    expect(JSON.parse(connect.body)).toEqual(refusal);
  });

  it('answers 413 to a chunked body on the login form of a live sign-in', async () => {
    const browser = new PageSession();
    const { response, url } = await browser.follow(server.url('/inbox'));
    const action = /action="(\/interaction\/[\w-]+\/login)"/.exec(await response.text())?.[1];
    expect(action).toBeDefined();
    const answer = await post(new URL(action ?? '', url).href, {
      stream: true,
      cookie: browser.jar.header(),
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(refusal);
  });

  it('shows browsers an HTML page', async () => {
    const answer = await post(server.url('/connections/acme-calendar/connect'), {
      accept: 'text/html,application/xhtml+xml',
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('<title>Request too large · AgentGate dev server</title>');
    expect(answer.body).toContain(refusal.error_description);
  });

  it('keeps answering normal requests after refusing one', async () => {
    await post(server.url('/oauth/token'), { stream: true });
    const discovery = await fetch(server.url('/.well-known/openid-configuration'));
    expect(discovery.status).toBe(200);
  });

  it.each([
    ['declared', false],
    ['chunked', true],
  ])('the FGA API answers 413 to an oversized (%s) body', async (_name, stream) => {
    const fgaLimit = 4 * 1024 * 1024;
    const body = JSON.stringify({ padding: 'x'.repeat(fgaLimit) });
    const response = await fetch(`${server.fga.apiUrl}/stores/${server.fga.storeId}/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(stream ? { body: chunked(body), duplex: 'half' } : { body }),
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      code: 'validation_error',
      message: `the request body is larger than ${fgaLimit} bytes`,
    });
  });
});
