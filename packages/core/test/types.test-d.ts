import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  type AgentGateErrorCode,
  type AnyGateInterrupt,
  type AnyGateInterruptJSON,
  type ArgumentIssue,
  createGate,
  createSession,
  type DenialCode,
  defineGuard,
  GateDenied,
  type GateErrorJSON,
  GateInterrupt,
  type InterruptCode,
  isGateDenied,
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
    expectTypeOf(value).toEqualTypeOf<AnyGateInterrupt | AnyGateInterruptJSON>();
    expectTypeOf(value.code).toEqualTypeOf<InterruptCode>();
    expectTypeOf<GateInterrupt>().toExtend<GateInterrupt<InterruptCode>>();
    expectTypeOf<GateErrorJSON<'STEP_UP_REQUIRED'>>().toExtend<AnyGateInterruptJSON>();
  }
});

test('narrowing an interrupt on its code types its details', () => {
  const value: unknown = {};
  if (isGateInterrupt(value)) {
    if (value.code === 'CONNECTION_REQUIRED') {
      expectTypeOf(value.details.connectUrl).toEqualTypeOf<string | undefined>();
      expectTypeOf(value.details.connection).toEqualTypeOf<string>();
      expectTypeOf(value.details.requiredScopes).toEqualTypeOf<readonly string[]>();
    }
    if (value.code === 'STEP_UP_REQUIRED') {
      expectTypeOf(value.details.authorizationParams).toEqualTypeOf<Readonly<Record<string, string>>>();
    }
  }
  if (isGateDenied(value) && value.code === 'INVALID_ARGUMENTS') {
    expectTypeOf(value.details.issues).toEqualTypeOf<readonly ArgumentIssue[]>();
  }
});

test('a code with required facts requires its details', () => {
  // @ts-expect-error CONNECTION_REQUIRED needs connection and requiredScopes
  new GateInterrupt('CONNECTION_REQUIRED', 'connect');
  new GateInterrupt('CONNECTION_REQUIRED', 'connect', { details: { connection: 'c', requiredScopes: [] } });
  new GateDenied('GUARD_FAILED', 'no details needed');
  const someCode = 'GUARD_FAILED' as DenialCode;
  // @ts-expect-error a code that may be INSUFFICIENT_SCOPE or INVALID_ARGUMENTS needs their details
  new GateDenied(someCode, 'x');
});

test('error codes narrow in a switch', () => {
  const error = new GateDenied('INSUFFICIENT_SCOPE', 'x', { details: { missing: ['a'], required: ['a'] } });
  expectTypeOf(error.code).toEqualTypeOf<'INSUFFICIENT_SCOPE'>();
  expectTypeOf(error.details.missing).toEqualTypeOf<readonly string[]>();
  expectTypeOf<GateDenied['code']>().toExtend<AgentGateErrorCode>();
});

test('a gated function takes the schema input: a field with a default is optional to the caller', () => {
  const gate = createGate({ audit: false });
  const list = gate.protect(
    { name: 'list', schema: z.object({ limit: z.number().default(10), from: z.string() }) },
    [],
    async (args) => {
      expectTypeOf(args).toEqualTypeOf<{ limit: number; from: string }>();
      return args.limit;
    },
  );
  expectTypeOf(list).parameter(0).toEqualTypeOf<{ limit?: number | undefined; from: string }>();
  // A tool without a schema takes what execute takes.
  const plain = gate.protect({ name: 'plain' }, [], async (args: { n: number }) => args.n);
  expectTypeOf(plain).parameter(0).toEqualTypeOf<{ n: number }>();
});
