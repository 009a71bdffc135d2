import { randomUUID } from 'node:crypto';
import { MemoryStore } from '@agentgate/core';
import { type DevServer, defaultSeed, startDevServer } from '@agentgate/dev-server';
import { createRedisStore, type RedisStore } from '@agentgate/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import type { Approvals } from '../src/index';
import { approvalEvents, harness, outcome, resumeWithin, sessionFor } from './helpers';

const USERS = 50;
const PER_USER = 4;
const seededUsers = Array.from({ length: USERS }, (_, index) => {
  const name = `user${String(index).padStart(2, '0')}`;
  return {
    username: `${name}@acme`,
    password: `${name}-password`,
    sub: name,
    email: `${name}@acme.example`,
    name,
    tenant: 'acme',
    roles: [],
  };
});

let server: DevServer;
let redis: RedisServer;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  [server, redis] = await Promise.all([
    startDevServer({
      cibaIntervalSeconds: 1,
      fga: false,
      seed: { ...defaultSeed, users: [...defaultSeed.users, ...seededUsers] },
    }),
    startRedisServer(),
  ]);
});
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  for (const item of server.approvals.list({ status: 'pending' })) await server.approvals.deny(item.id);
});
afterAll(async () => {
  await Promise.all([server?.close(), redis?.stop()]);
});

/** A Redis store as one process would open it (its own client); closed at the end of the test. */
function redisStore(prefix: string): RedisStore {
  const store = createRedisStore({ url: redis.url, prefix });
  open.push(store);
  return store;
}

/** One process: approvals (closed at the end of the test) on `store`, with the refund tool. */
function processOn(store: MemoryStore | RedisStore, pollInBackground = true) {
  const h = harness({ channel: 'ciba', mode: 'interrupt' }, { server, store, pollInBackground });
  open.push(h.approvals);
  return h;
}

const args = { orderId: '1042', amount: 240 };

describe('restarts', () => {
  it('loses pending approvals with a MemoryStore: a new process asks again (stated, not hidden)', async () => {
    const first = processOn(new MemoryStore());
    const alice = sessionFor(server, 'alice', { id: 'memory' });
    const pending = await outcome(first.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await first.approvals.close();

    const second = processOn(new MemoryStore()); // the process restarted: its memory is gone
    await expect(second.approvals.get(id)).resolves.toBeUndefined();
    const again = await outcome(second.refund(args, alice));
    expect(again.error).toMatchObject({ code: 'APPROVAL_PENDING' });
    expect((again.error as { details: { approvalId: string } }).details.approvalId).not.toBe(id);
    expect(server.approvals.list({ sub: 'alice', status: 'pending' })).toHaveLength(2); // the first one is orphaned
  });

  it('resumes from Redis after a restart between request and approval, and runs the action exactly once', async () => {
    const prefix = `restart-${randomUUID()}:`;
    const first = processOn(redisStore(prefix));
    const alice = sessionFor(server, 'alice', { id: 'redis-restart' });
    const pending = await outcome(first.refund(args, alice));
    const id = (pending.error as { details: { approvalId: string } }).details.approvalId;
    await first.approvals.close(); // the process stops while the request is pending

    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.approve(request.id); // the user approves while no process runs

    const second = processOn(redisStore(prefix));
    await expect(second.approvals.get(id)).resolves.toMatchObject({ status: 'pending' });
    await expect(resumeWithin(second.approvals)).resolves.toMatchObject({ approved: 1, pending: 0 });
    await expect(second.refund(args, alice)).resolves.toEqual({ refunded: '1042', amount: 240 });
    await expect(second.refund(args, alice)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { approvalId: id },
    });
    // A third process sharing the store cannot run it again either.
    const third = processOn(redisStore(prefix));
    await expect(third.refund(args, alice)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(
      first.executed.mock.calls.length + second.executed.mock.calls.length + third.executed.mock.calls.length,
    ).toBe(1);
    expect(approvalEvents(second.audit.events)).toEqual(['approved', 'consumed', 'deny']);
  });

  it('settles 200 pending approvals of 50 users with one worker after a restart; each runs exactly once', async () => {
    const prefix = `bulk-${randomUUID()}:`;
    const calls = seededUsers.flatMap((user) =>
      Array.from({ length: PER_USER }, (_, index) => ({
        session: sessionFor(server, user.sub, { id: `bulk-${user.sub}`, tenant: 'acme' }),
        args: { orderId: `${user.sub}-${index}`, amount: 10 + index },
      })),
    );
    // Process one asks and stops without polling anything.
    const first = processOn(redisStore(prefix), false);
    const interrupted = await Promise.all(
      calls.map((call) => outcome(first.refund(call.args, call.session))),
    );
    expect(
      interrupted.every((result) => (result.error as { code?: string })?.code === 'APPROVAL_PENDING'),
    ).toBe(true);
    await first.approvals.close();

    // Every user approves on their device while nothing runs.
    const requests = server.approvals.list({ status: 'pending' });
    expect(requests).toHaveLength(USERS * PER_USER);
    for (const request of requests) await server.approvals.approve(request.id);

    // Process two: one worker drives every pending record to its decision.
    const second = processOn(redisStore(prefix), false);
    expect(await second.approvals.list({ status: 'pending' })).toHaveLength(USERS * PER_USER);
    const worker = second.approvals.startWorker({ intervalMs: 500 });
    open.push({ close: () => worker.stop() });
    await vi.waitFor(
      async () => expect(await second.approvals.list({ status: 'approved' })).toHaveLength(USERS * PER_USER),
      { timeout: 25_000, interval: 250 },
    );

    const results = await Promise.all(calls.map((call) => outcome(second.refund(call.args, call.session))));
    expect(results.filter((result) => result.error !== undefined)).toEqual([]);
    const replays = await Promise.all(calls.map((call) => outcome(second.refund(call.args, call.session))));
    expect(replays.every((result) => (result.error as { code?: string })?.code === 'FORBIDDEN')).toBe(true);
    const ran = second.executed.mock.calls.map(([ranArgs]) => (ranArgs as { orderId: string }).orderId);
    expect(ran).toHaveLength(USERS * PER_USER);
    expect(new Set(ran).size).toBe(USERS * PER_USER);
    expect(first.executed).not.toHaveBeenCalled();
    expect(await second.approvals.list({ status: 'consumed', sub: 'user07' })).toHaveLength(PER_USER);
  }, 60_000);
});

describe('Approvals type', () => {
  it('is what createApprovals returns', () => {
    const approvals: Approvals = harness({ channel: 'in-app', mode: 'wait' }).approvals;
    expect(typeof approvals.resume).toBe('function');
  });
});
