import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  type AgentGateErrorCode,
  createGate,
  createSession,
  defineGuard,
  GateDenied,
  type GateErrorJSON,
  type GateInterrupt,
  type InterruptCode,
  isGateInterrupt,
  type SessionView,
} from '../src/index';

test('a schema types the arguments execute receives, whatever the guards are typed with', () => {
  const gate = createGate({ audit: false });
  const anyArgsGuard = defineGuard({ name: 'g', kind: 'k', check: () => {} });
  const refund = gate.protect(
    { name: 'refund', schema: z.object({ orderId: z.string(), amount: z.number() }) },
    [anyArgsGuard],
    async (args, context) => {
      expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
      expectTypeOf(context.session).toEqualTypeOf<SessionView>();
      return args.amount;
    },
  );
  expectTypeOf(refund).returns.toEqualTypeOf<Promise<number>>();
});

test('tools never see the subject token', () => {
  expectTypeOf<SessionView>().not.toHaveProperty('subjectToken');
  expectTypeOf(createSession({ sub: 'a' })).toHaveProperty('subjectToken');
});

test('isGateInterrupt narrows to the instance or its JSON form', () => {
  const value: unknown = {};
  if (isGateInterrupt(value)) {
    expectTypeOf(value).toEqualTypeOf<GateInterrupt | GateErrorJSON<InterruptCode>>();
    expectTypeOf(value.code).toEqualTypeOf<InterruptCode>();
  }
});

test('error codes narrow in a switch', () => {
  const error = new GateDenied('INSUFFICIENT_SCOPE', 'x');
  expectTypeOf(error.code).toEqualTypeOf<'INSUFFICIENT_SCOPE'>();
  expectTypeOf<GateDenied['code']>().toExtend<AgentGateErrorCode>();
});
