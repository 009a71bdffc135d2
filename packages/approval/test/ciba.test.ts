import type { MemoryStore } from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Approvals, getApproval, getApprovalToken } from '../src/index';
import {
  approvalEvents,
  cibaOptions,
  everythingShown,
  type Harness,
  harness,
  outcome,
  resumeWithin,
  sessionFor,
  until,
} from './helpers';

let server: DevServer;
const open: Approvals[] = [];
const args = { orderId: '1042', amount: 240 };
const detail = { type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' };

beforeAll(async () => {
  server = await startDevServer({ cibaIntervalSeconds: 1, fga: false });
});
/** The tool calls of the running test, each marked when it settles. */
const calls: { settled: boolean }[] = [];
afterEach(async () => {
  // Closed approvals end every waiting call; a call still sending its request ends within the HTTP timeout. Only
  // then is the "device" cleared, so no request of this test is left pending for the next one to pick up.
  await Promise.all(open.splice(0).map((approvals) => approvals.close()));
  await until(() => calls.every((call) => call.settled), 'every call of the test settling after close()');
  calls.length = 0;
  for (const item of server.approvals.list({ status: 'pending' })) await server.approvals.deny(item.id);
});
afterAll(async () => {
  await server?.close();
});

/** Closed after the test; every call of its tool is awaited there too. */
function track<T extends Harness>(value: T): T {
  open.push(value.approvals);
  const refund = value.refund;
  value.refund = (...callArgs) => {
    const call = refund(...callArgs);
    const tracked = { settled: false };
    calls.push(tracked);
    const settle = () => {
      tracked.settled = true;
    };
    call.then(settle, settle);
    return call;
  };
  return value;
}

/** The stored `auth_req_id` of an approval (white box: to prove it never leaks). */
async function authReqIdOf(store: MemoryStore, id: string): Promise<string> {
  const record = await store.get<{ ciba: { authReqId: string } }>(`agentgate:approval:record:${id}`);
  return record!.ciba.authReqId;
}

/** A fetch that rewrites successful CIBA token responses: a fault the real server cannot produce on demand. */
function tamperingFetch(rewrite: (body: Record<string, unknown>) => Promise<void> | void) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    const sent = String(init.body ?? '');
    if (!url.endsWith('/oauth/token') || !sent.includes('grant-type%3Aciba') || !response.ok) return response;
    const body = (await response.json()) as Record<string, unknown>;
    await rewrite(body);
    return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
  };
}

describe('createApprovals — CIBA + RAR against the dev server', () => {
  it('waits for the approval on the device, verifies the token and hands it to the tool once', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'wait' }, { server }));
    const alice = sessionFor(server, 'alice');
    let seen: { approvalId: string; token: string } | undefined;
    h.executed.mockImplementation(async () => {
      seen = { approvalId: getApproval().approvalId, token: getApprovalToken() };
      return 'refunded';
    });
    const running = h.refund(args, alice);
    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    expect(request).toMatchObject({
      bindingMessage: 'Refund 240 EUR on order 1042',
      authorizationDetails: [detail],
      scope: 'openid',
    });
    await server.approvals.approve(request.id);
    await expect(running).resolves.toBe('refunded');
    expect(h.executed).toHaveBeenCalledTimes(1);

    // The downstream API sees the approval in the token.
    expect(decodeJwt(seen!.token)).toMatchObject({
      sub: 'alice',
      aud: server.apiAudience,
      authorization_details: [detail],
    });
    const view = await h.approvals.get(seen!.approvalId);
    expect(view).toMatchObject({ status: 'consumed', channel: 'ciba', sub: 'alice', tenant: 'acme' });
    expect(approvalEvents(h.audit.events)).toEqual(['requested', 'pending', 'approved', 'consumed']);
    // No token, no auth_req_id, no client secret anywhere the app can show or log.
    const shown = everythingShown([h.audit.events, view, await h.approvals.list()]);
    expect(shown).not.toContain(seen!.token);
    expect(shown).not.toContain(await authReqIdOf(h.store as MemoryStore, seen!.approvalId));
    expect(shown).not.toContain(server.clients[0]!.clientSecret);
  });

  it('denies with APPROVAL_DENIED when the user denies on the device', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'wait' }, { server }));
    const running = outcome(h.refund(args, sessionFor(server, 'alice', { id: 'deny' })));
    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.deny(request.id);
    const { error } = await running;
    expect(error).toMatchObject({
      code: 'APPROVAL_DENIED',
      details: { reason: 'the user denied the request' },
    });
    expect(h.executed).not.toHaveBeenCalled();
    expect(approvalEvents(h.audit.events)).toEqual(['requested', 'pending', 'denied']);
  });

  it('expires with APPROVAL_EXPIRED when nobody decides in time', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'wait', requestedExpiry: 1 }, { server }));
    const { error } = await outcome(h.refund(args, sessionFor(server, 'alice', { id: 'expire' })));
    expect(error).toMatchObject({ code: 'APPROVAL_EXPIRED' });
    expect(h.executed).not.toHaveBeenCalled();
    expect(approvalEvents(h.audit.events)).toContain('expired');
  });

  it('stops waiting on abort (GUARD_FAILED) and keeps the request pending for a later call', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'wait' }, { server, pollInBackground: false }));
    const alice = sessionFor(server, 'alice', { id: 'abort' });
    const controller = new AbortController();
    const running = outcome(h.refund(args, alice, controller.signal));
    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await until(() => approvalEvents(h.audit.events).includes('pending'), 'the call waiting');
    controller.abort(new Error('the user closed the chat'));
    expect((await running).error).toMatchObject({ code: 'GUARD_FAILED' });
    const [pending] = await h.approvals.list({ status: 'pending' });
    expect(pending).toMatchObject({ tool: 'refund_order' });

    // Resumed by the same call: the same request, not a new one.
    const resumed = h.refund(args, alice);
    await server.approvals.approve(request.id);
    await expect(resumed).resolves.toBeDefined();
    expect(h.executed).toHaveBeenCalledTimes(1);
    expect(server.approvals.list({ sub: 'alice', status: 'pending' })).toEqual([]);
  });

  it('ends a wait at its overall timeout with a resumable APPROVAL_PENDING', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'wait', timeoutMs: 200 }, { server }));
    const alice = sessionFor(server, 'alice', { id: 'timeout' });
    const { error } = await outcome(h.refund(args, alice));
    expect(error).toMatchObject({ code: 'APPROVAL_PENDING', details: { timedOut: true } });
    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.approve(request.id);
    await resumeWithin(h.approvals);
    await expect(h.refund(args, alice)).resolves.toBeDefined();
    expect(h.executed).toHaveBeenCalledTimes(1);
  });

  it('interrupts, then resumes the same request with the same arguments and runs it once', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'interrupt' }, { server }));
    const alice = sessionFor(server, 'alice', { id: 'interrupt' });
    const first = await outcome(h.refund(args, alice));
    expect(first.error).toMatchObject({
      code: 'APPROVAL_PENDING',
      details: {
        channel: 'ciba',
        bindingMessage: 'Refund 240 EUR on order 1042',
        authorizationDetails: [detail],
      },
    });
    const id = (first.error as { details: { approvalId: string } }).details.approvalId;
    await expect(h.refund(args, alice)).rejects.toMatchObject({
      code: 'APPROVAL_PENDING',
      details: { approvalId: id },
    });
    expect(server.approvals.list({ sub: 'alice', status: 'pending' })).toHaveLength(1);

    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.approve(request.id);
    await expect(resumeWithin(h.approvals)).resolves.toMatchObject({ approved: 1 });
    await expect(h.refund(args, alice)).resolves.toBeDefined();
    await expect(h.refund(args, alice)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { approvalId: id },
    });
    expect(h.executed).toHaveBeenCalledTimes(1);
  });

  it('denies when the approved authorization_details are not what was requested', async () => {
    const h = track(
      harness(
        { channel: 'ciba', mode: 'wait' },
        {
          server,
          ciba: cibaOptions(server, {
            fetch: tamperingFetch((body) => {
              body.authorization_details = [{ ...detail, amount: 24_000 }];
            }),
          }),
        },
      ),
    );
    const running = outcome(h.refund(args, sessionFor(server, 'alice', { id: 'rar' })));
    await server.approvals.approve((await server.approvals.waitFor({ sub: 'alice', status: 'pending' })).id);
    expect((await running).error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('the approved authorization_details differ from the requested ones'),
    });
    expect(h.executed).not.toHaveBeenCalled();
  });

  it("denies a token issued for another user (a real token of Bob's in Alice's approval)", async () => {
    const bobToken = (await server.login('bob@acme')).access_token;
    const h = track(
      harness(
        { channel: 'ciba', mode: 'wait' },
        {
          server,
          ciba: cibaOptions(server, {
            fetch: tamperingFetch((body) => {
              body.access_token = bobToken;
            }),
          }),
        },
      ),
    );
    const running = outcome(h.refund(args, sessionFor(server, 'alice', { id: 'mixup' })));
    await server.approvals.approve((await server.approvals.waitFor({ sub: 'alice', status: 'pending' })).id);
    const { error } = await running;
    expect(error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('the approval token was issued for another user'),
    });
    expect(everythingShown(error)).not.toContain(bobToken);
    expect(h.executed).not.toHaveBeenCalled();
  });

  it('checks binding_message against the provider rules before sending anything', async () => {
    const h = track(
      harness({ channel: 'ciba', mode: 'wait', bindingMessage: () => 'Refund <b>240</b> €' }, { server }),
    );
    await expect(h.refund(args, sessionFor(server, 'alice', { id: 'binding' }))).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining('has characters the provider refuses'),
    });
    expect(server.approvals.list({ sub: 'alice', status: 'pending' })).toEqual([]);
  });

  it('fails closed with a typed, secret-free error when the provider refuses the request', async () => {
    const h = track(harness({ channel: 'ciba', mode: 'wait' }, { server }));
    const { error } = await outcome(h.refund(args, sessionFor(server, 'nobody', { id: 'unknown' })));
    expect(error).toMatchObject({
      code: 'GUARD_FAILED',
      details: { stage: 'request', error: 'unknown_user_id' },
    });
    expect(everythingShown(error)).not.toContain(server.clients[0]!.clientSecret);
    expect(approvalEvents(h.audit.events)).toEqual(['failed']);
  });

  it('honours slow_down: after one, the next poll comes interval + 5 s later', async () => {
    // Another poller of the same request (a second process) makes the provider answer slow_down to this one.
    const answers: string[] = [];
    const observing = async (url: string, init: RequestInit): Promise<Response> => {
      const response = await fetch(url, init);
      if (url.endsWith('/oauth/token') && String(init.body).includes('auth_req_id')) {
        const body = (await response.clone().json()) as { error?: string };
        answers.push(body.error ?? 'tokens');
      }
      return response;
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const h = track(
        harness(
          { channel: 'ciba', mode: 'wait' },
          { server, pollInBackground: false, ciba: cibaOptions(server, { fetch: observing }) },
        ),
      );
      const running = outcome(h.refund(args, sessionFor(server, 'alice', { id: 'slow-down' })));
      await until(() => approvalEvents(h.audit.events).includes('pending'), 'the call waiting');
      const [view] = await h.approvals.list({ status: 'pending' });
      const authReqId = await authReqIdOf(h.store as MemoryStore, view!.id);

      await vi.advanceTimersByTimeAsync(500);
      const other = await client.discovery(
        new URL(server.issuer),
        server.clients[0]!.clientId,
        server.clients[0]!.clientSecret,
        undefined,
        { execute: [client.allowInsecureRequests] },
      );
      await expect(
        client.genericGrantRequest(other, 'urn:openid:params:grant-type:ciba', { auth_req_id: authReqId }),
      ).rejects.toMatchObject({ error: 'authorization_pending' });

      await vi.advanceTimersByTimeAsync(500); // this client's first poll, 0.5 s after the other one
      await until(() => answers.length === 1, 'the first poll');
      expect(answers).toEqual(['slow_down']);

      await vi.advanceTimersByTimeAsync(5_900); // interval (1 s) + 5 s has not passed yet
      for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(answers).toEqual(['slow_down']);

      await server.approvals.approve(
        (await server.approvals.waitFor({ sub: 'alice', status: 'pending' })).id,
      );
      await vi.advanceTimersByTimeAsync(100);
      await until(() => answers.length === 2, 'the second poll');
      expect(answers).toEqual(['slow_down', 'tokens']);
      await expect(running).resolves.toMatchObject({ value: { refunded: '1042' } });
    } finally {
      vi.useRealTimers();
    }
  });
});
