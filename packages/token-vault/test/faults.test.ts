import { createGate, GateDenied } from '@agentgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenExchangeFailed, type TokenVaultFetch } from '../src';
import { type DevVaultServer, startDevVaultServer } from './support/dev-vault-server';
import { CONNECTION, everythingShown, listEvents, rejectionOf, vaultFor } from './support/fixtures';

// A real server cannot produce a 5xx, a hang or a reset on demand, so these tests inject them with a `fetch`
// override at the token endpoint; discovery and every other request go to the dev server untouched.

let server: DevVaultServer;
let tokenUrl: string;
let alice: Awaited<ReturnType<DevVaultServer['session']>>;
const read = { connection: CONNECTION, scopes: ['events.read'] };

beforeAll(async () => {
  server = await startDevVaultServer();
  alice = await server.session(server.users[0]!.username);
  await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
  const metadata = await (await fetch(new URL('.well-known/openid-configuration', server.issuer))).json();
  tokenUrl = (metadata as { token_endpoint: string }).token_endpoint;
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 500 && !condition(); round += 1)
    await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not reached');
}

afterAll(async () => {
  await server?.close();
});

type Fault = (init: RequestInit) => Promise<Response>;

/** A fetch that sends the first `times` token-endpoint requests to `fault`, everything else to the server. */
function faultyFetch(fault: Fault, times = Number.POSITIVE_INFINITY) {
  const calls = { token: 0 };
  const fetchOverride: TokenVaultFetch = (url, init) => {
    if (new URL(url).pathname.endsWith('/token')) {
      calls.token += 1;
      if (calls.token <= times) return fault(init);
    }
    return fetch(url, init);
  };
  return { fetch: fetchOverride, calls };
}

const serviceUnavailable: Fault = async () =>
  new Response('<html>upstream down</html>', { status: 503, headers: { 'content-type': 'text/html' } });
const serverErrorJson: Fault = async () =>
  Response.json({ error: 'server_error', error_description: 'the vault is down' }, { status: 500 });
const connectionReset: Fault = async () => {
  throw new TypeError('fetch failed', {
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });
};
/** Never answers; settles only when the request's signal fires (the vault's timeout). */
const hang: Fault = (init) =>
  new Promise((_resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
  });

describe('transient failures', () => {
  it.each([
    ['503 with an HTML body', serviceUnavailable, 503],
    ['500 with an OAuth error body', serverErrorJson, 500],
    ['a connection reset', connectionReset, undefined],
    ['a timeout', hang, undefined],
  ] as const)('retries %s twice, then denies GUARD_FAILED', async (_name, fault, status) => {
    const { fetch, calls } = faultyFetch(fault);
    const before = server.connections.exchangeCount();
    const vault = vaultFor(server, { fetch, timeoutMs: 100 });
    const error = await rejectionOf(vault.getToken(alice.session, read));
    expect(error).toBeInstanceOf(GateDenied);
    expect(error).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining('after 3 attempts'),
      details: { failure: 'unavailable', attempts: 3, ...(status === undefined ? {} : { status }) },
    });
    expect(TokenExchangeFailed.isInstance((error as GateDenied).cause)).toBe(true);
    expect(calls.token).toBe(3);
    expect(server.connections.exchangeCount()).toBe(before);
    expect(everythingShown(error)).not.toContain(alice.accessToken);
    expect(everythingShown(error)).not.toContain(server.clientSecret);
  });

  it('honours retries: 0 (one attempt)', async () => {
    const { fetch, calls } = faultyFetch(serviceUnavailable);
    await expect(vaultFor(server, { fetch, retries: 0 }).getToken(alice.session, read)).rejects.toMatchObject(
      {
        code: 'GUARD_FAILED',
        details: { attempts: 1 },
      },
    );
    expect(calls.token).toBe(1);
  });

  it('succeeds when a retry gets through', async () => {
    const { fetch, calls } = faultyFetch(serviceUnavailable, 2);
    const before = server.connections.exchangeCount({ outcome: 'issued' });
    const token = await vaultFor(server, { fetch }).getToken(alice.session, read);
    expect(calls.token).toBe(3);
    expect(server.connections.exchangeCount({ outcome: 'issued' })).toBe(before + 1);
    expect((await listEvents(server, token.accessToken)).status).toBe(200);
  });

  it('does not retry, and denies GUARD_FAILED, when the answer is not a bearer token', async () => {
    const { fetch, calls } = faultyFetch(async () =>
      Response.json({ access_token: 'opaque', token_type: 'DPoP', expires_in: 60 }, { status: 200 }),
    );
    await expect(vaultFor(server, { fetch }).getToken(alice.session, read)).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining("unusable token_type 'dpop'"),
      details: { failure: 'failed', attempts: 1 },
    });
    expect(calls.token).toBe(1);
  });

  it('does not retry a 4xx answer', async () => {
    const { fetch, calls } = faultyFetch(async () =>
      Response.json(
        { error: 'invalid_client', error_description: 'client authentication failed' },
        { status: 400 },
      ),
    );
    await expect(vaultFor(server, { fetch }).getToken(alice.session, read)).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      details: { error: 'invalid_client', attempts: 1 },
    });
    expect(calls.token).toBe(1);
  });

  it('cancels the request when its only caller aborts, and denies GUARD_FAILED', async () => {
    const requestSignals: AbortSignal[] = [];
    const { fetch } = faultyFetch((init) => {
      if (init.signal) requestSignals.push(init.signal);
      return hang(init);
    });
    const controller = new AbortController();
    const pending = vaultFor(server, { fetch, timeoutMs: 60_000 }).getToken(alice.session, {
      ...read,
      signal: controller.signal,
    });
    await waitUntil(() => requestSignals.length === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'GUARD_FAILED', details: { failure: 'aborted' } });
    expect(requestSignals[0]!.aborted).toBe(true);
  });

  it('keeps the shared exchange going for the callers that did not abort', async () => {
    let release: (() => void) | undefined;
    const { fetch, calls } = faultyFetch(
      (init) =>
        new Promise<void>((resolve) => (release = resolve)).then(() => globalThis.fetch(tokenUrl, init)),
      1,
    );
    const vault = vaultFor(server, { fetch });
    const controller = new AbortController();
    const leaving = vault.getToken(alice.session, { ...read, signal: controller.signal });
    const staying = vault.getToken(alice.session, read);
    await waitUntil(() => release !== undefined);
    controller.abort();
    await expect(leaving).rejects.toMatchObject({ code: 'GUARD_FAILED', details: { failure: 'aborted' } });
    release!();
    const token = await staying;
    expect(calls.token).toBe(1);
    expect((await listEvents(server, token.accessToken)).status).toBe(200);
  });

  it('denies GUARD_FAILED when the issuer cannot be discovered', async () => {
    const vault = vaultFor(server, {
      fetch: async () => new Response('not here', { status: 404 }),
    });
    await expect(vault.getToken(alice.session, read)).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining(`discovery of ${server.issuer}: unexpected HTTP status 404`),
      details: { failure: 'failed', status: 404, attempts: 1 },
    });
  });
});

describe('a malformed token response', () => {
  // openid-client refuses such a response and attaches its whole body, with the issued token, to its error. The dev
  // server always answers well, so a fetch override corrupts one field of its real answer.
  it.each([
    ['expires_in is not a number', { expires_in: 'soon' }],
    ['refresh_token is not a string', { refresh_token: 42 }],
    ['scope is not a string', { scope: 7 }],
  ])(
    'denies GUARD_FAILED without the issued token anywhere in the error (%s)',
    async (_label, corruption) => {
      const issued: string[] = [];
      const { fetch, calls } = faultyFetch(async (init) => {
        const response = await globalThis.fetch(tokenUrl, init);
        const body = (await response.json()) as Record<string, unknown>;
        if (typeof body.access_token === 'string') issued.push(body.access_token);
        return Response.json({ ...body, ...corruption }, { status: response.status });
      });
      const vault = vaultFor(server, { fetch });
      const direct = await rejectionOf(vault.getToken(alice.session, read));
      expect(direct).toMatchObject({ code: 'GUARD_FAILED', details: { failure: 'failed', attempts: 1 } });
      const gated = await rejectionOf(
        createGate({ audit: false }).run(
          { tool: { name: 'list_events' }, args: {} },
          alice.session,
          [vault.guard(read)],
          async () => 'ran',
        ),
      );
      expect(gated).toMatchObject({ code: 'GUARD_FAILED', guard: `vault(${CONNECTION})` });

      expect(calls.token).toBe(2);
      expect(issued).toHaveLength(2);
      for (const shown of [everythingShown(direct), everythingShown(gated)]) {
        expect(shown).toContain('OAUTH_INVALID_RESPONSE');
        for (const token of [...issued, alice.accessToken, server.clientSecret])
          expect(shown).not.toContain(token);
      }
    },
  );
});
