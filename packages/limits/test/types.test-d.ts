import type { Guard, LimitStore, SessionView } from '@agentgate/core';
import { isGateDenied, MemoryLimitStore, MemoryStore } from '@agentgate/core';
import { expectTypeOf, test } from 'vitest';
import { type AnomalyGuard, anomaly, quota, rateLimit } from '../src/index';

interface Transfer {
  to: string;
  amountCents: number;
}

test('the guards are typed by the arguments their functions read', () => {
  const store: LimitStore = new MemoryLimitStore();
  const spend = quota<Transfer>({
    store,
    key: 'user',
    limit: 100,
    period: 'day',
    cost: ({ args }) => args.amountCents,
  });
  expectTypeOf(spend).toEqualTypeOf<Guard<Transfer>>();
  const perRecipient = rateLimit<Transfer>({
    store,
    key: ({ args, session }) => `${session.user.sub}->${args.to}`,
    limit: 5,
    windowSeconds: 60,
  });
  expectTypeOf(perRecipient).toEqualTypeOf<Guard<Transfer>>();
  // @ts-expect-error a quota cost returns a number
  quota<Transfer>({ store, key: 'user', limit: 100, period: 'day', cost: ({ args }) => args.to });
  // @ts-expect-error a period is 'day' or 'month'
  quota({ store, key: 'user', limit: 100, period: 'week' });
});

test("requiresApproval fits an approval guard's when({ args, session })", () => {
  const unusual = anomaly<Transfer>({
    store: new MemoryStore(),
    counters: new MemoryLimitStore(),
    rules: { magnitude: { value: ({ args }) => args.amountCents } },
    response: 'approval',
  });
  expectTypeOf(unusual).toEqualTypeOf<AnomalyGuard<Transfer>>();
  expectTypeOf(unusual).toExtend<Guard<Transfer>>();
  type When = (input: {
    readonly args: Transfer;
    readonly session: SessionView;
  }) => boolean | Promise<boolean>;
  expectTypeOf(unusual.requiresApproval).toExtend<When>();
});

test('a RATE_LIMITED denial narrows to its retryAfter', () => {
  const error: unknown = undefined;
  if (isGateDenied(error) && error.code === 'RATE_LIMITED') {
    expectTypeOf(error.details.retryAfter).toEqualTypeOf<number>();
  }
});
