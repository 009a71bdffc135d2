import { inspect } from 'node:util';
import {
  type AgentSession,
  type AuditEvent,
  createGate,
  createSession,
  type Gate,
  type Guard,
  MemoryStore,
  memoryAudit,
  type Store,
} from '@agentgate/core';
import type { DevServer } from '@agentgate/dev-server';
import { vi } from 'vitest';
import { z } from 'zod';
import {
  type ApprovalGuardOptions,
  type Approvals,
  type ApprovalsOptions,
  type CibaOptions,
  createApprovals,
} from '../src/index';

export const refundSchema = z.object({
  orderId: z.string(),
  amount: z.number().positive(),
  currency: z.string().default('EUR'),
});
export type RefundArgs = z.output<typeof refundSchema>;

export const refundDetails: ApprovalGuardOptions<RefundArgs>['details'] = ({ args }) => [
  { type: 'refund', orderId: args.orderId, amount: args.amount, currency: args.currency },
];
export const refundMessage: ApprovalGuardOptions<RefundArgs>['bindingMessage'] = ({ args }) =>
  `Refund ${args.amount} ${args.currency} on order ${args.orderId}`;

/** A session for a dev-server user, as identity would build it (same issuer, sub and tenant). */
export function sessionFor(
  server: DevServer | undefined,
  sub: string,
  extra: Partial<Parameters<typeof createSession>[0]> = {},
): AgentSession {
  const tenant = sub === 'carol' ? 'globex' : 'acme';
  return createSession({
    sub,
    iss: server?.issuer ?? 'https://id.example/',
    tenant,
    id: `run-${sub}`,
    ...extra,
  });
}

export interface Harness {
  approvals: Approvals;
  store: Store;
  audit: ReturnType<typeof memoryAudit>;
  gate: Gate;
  /** How many times the refund tool body ran. */
  executed: ReturnType<typeof vi.fn>;
  refund(args: unknown, session: AgentSession, signal?: AbortSignal): Promise<unknown>;
}

/** CIBA options for the dev server's seeded client. */
export function cibaOptions(server: DevServer, extra: Partial<CibaOptions> = {}): CibaOptions {
  const client = server.clients[0]!;
  return {
    issuer: server.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    audience: server.apiAudience,
    allowInsecureRequests: true,
    ...extra,
  };
}

/** One "process": approvals on `store`, a gate sharing the audit sink, and a high-risk refund tool. */
export function harness(
  guard: Omit<ApprovalGuardOptions<RefundArgs>, 'details' | 'bindingMessage'> &
    Partial<Pick<ApprovalGuardOptions<RefundArgs>, 'details' | 'bindingMessage'>>,
  options: Partial<ApprovalsOptions> & { server?: DevServer } = {},
): Harness {
  const { server, ...rest } = options;
  const store = rest.store ?? new MemoryStore();
  const audit = memoryAudit();
  const approvals = createApprovals({
    store,
    audit,
    ...(server ? { ciba: cibaOptions(server) } : {}),
    ...rest,
  });
  const gate = createGate({ audit });
  const executed = vi.fn(async (args: RefundArgs) => ({ refunded: args.orderId, amount: args.amount }));
  // A waiting call in a test ends by WAIT_MS (as a resumable APPROVAL_PENDING), never at the request's expiry (300 s).
  const bounded = guard.mode === 'wait' && guard.timeoutMs === undefined ? { timeoutMs: WAIT_MS } : {};
  const guards: Guard<RefundArgs>[] = [
    approvals.guard<RefundArgs>({
      details: refundDetails,
      bindingMessage: refundMessage,
      ...bounded,
      ...guard,
    }),
  ];
  const tool = gate.protect({ name: 'refund_order', risk: 'high', schema: refundSchema }, guards, (args) =>
    executed(args),
  );
  return {
    approvals,
    store,
    audit,
    gate,
    executed,
    refund: (args, session, signal) =>
      tool(args as z.input<typeof refundSchema>, { session, ...(signal ? { signal } : {}) }),
  };
}

/** Settles a promise into `{ value }` or `{ error }`. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Everything an error or event list shows, however deep. */
export function everythingShown(value: unknown): string {
  return `${inspect(value, { depth: 20 })}\n${JSON.stringify(value)}`;
}

export function approvalEvents(events: readonly AuditEvent[]): string[] {
  return events.filter((event) => event.phase === 'approval').map((event) => event.outcome);
}

/** Every wait in these tests ends well before vitest's testTimeout (30 s), with a message that says what it waited for. */
export const WAIT_MS = 15_000;

// Captured before any test fakes timers: the bounds below always run on the real clock.
const realNow = performance.now.bind(performance);
const realSetImmediate = globalThis.setImmediate;

/**
 * Resolves once `predicate` holds, checking after each turn of the event loop (so it sees a change as soon as it
 * happens, fake timers or not); fails with `what` when it has not held within {@link WAIT_MS} of real time.
 */
export async function until(predicate: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  const deadline = realNow() + WAIT_MS;
  for (;;) {
    if (await predicate()) return;
    if (realNow() > deadline) throw new Error(`${what}: did not happen within ${WAIT_MS} ms`);
    await new Promise((resolve) => realSetImmediate(resolve));
  }
}

/** `approvals.resume()`, failing with a clear message instead of waiting for a request's expiry (minutes). */
export async function resumeWithin(approvals: Approvals): ReturnType<Approvals['resume']> {
  const signal = AbortSignal.timeout(WAIT_MS);
  const report = await approvals.resume({ signal });
  if (signal.aborted) throw new Error(`approvals.resume() did not settle within ${WAIT_MS} ms`);
  return report;
}
