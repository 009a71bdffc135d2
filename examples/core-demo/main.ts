/**
 * AgentGate core demo: two tools behind one gate, a scope check, a high-risk rule, interrupts as data, and a
 * tamper-evident audit trail. Runs in-process with no server: `npm run demo`.
 */
import {
  createGate,
  createSession,
  defineGuard,
  GateDenied,
  GateInterrupt,
  type Guard,
  isGateInterrupt,
  memoryAudit,
  runWithSession,
  verifyAuditChain,
} from '@agentgate/core';
import { z } from 'zod';

const requireScope = (scope: string): Guard<unknown> =>
  defineGuard({
    name: `requireScope(${scope})`,
    kind: 'identity',
    check: ({ session }) => {
      if (!session.scopes.includes(scope)) {
        throw new GateDenied('INSUFFICIENT_SCOPE', `scope '${scope}' is required`, {
          details: { missing: [scope], required: [scope] },
        });
      }
    },
  });

// A stand-in for @agentgate/approval: refunds above 100 wait for the user's approval.
const approvalAbove = (limit: number): Guard<{ orderId: string; amount: number }> =>
  defineGuard({
    name: `approval(> ${limit})`,
    kind: 'approval',
    check: ({ args, argsDigest }) => {
      if (args.amount > limit) {
        throw new GateInterrupt(
          'APPROVAL_PENDING',
          `refund of ${args.amount} waits for the user's approval`,
          {
            details: { argsDigest, bindingMessage: `Refund ${args.amount} on order ${args.orderId}` },
          },
        );
      }
    },
  });

const audit = memoryAudit();
const gate = createGate({ audit, agent: { id: 'support-agent' } });

const listEvents = gate.protect(
  { name: 'list_events', schema: z.object({ day: z.iso.date() }) },
  [requireScope('calendar:read')],
  async ({ day }, { session }) => ({
    for: session.user.sub,
    events: [`${day} 09:00 stand-up`, `${day} 14:00 call`],
  }),
);

const refundSchema = z.object({ orderId: z.string(), amount: z.number().positive() });
try {
  gate.protect(
    { name: 'refund', risk: 'high', schema: refundSchema },
    [requireScope('orders:refund')],
    async () => 'refunded',
  );
} catch (error) {
  console.log(
    `✗ a high-risk tool without an approval guard cannot be created:\n  ${(error as Error).message}\n`,
  );
}
const refund = gate.protect(
  { name: 'refund', risk: 'high', schema: refundSchema },
  [requireScope('orders:refund'), approvalAbove(100)],
  async ({ orderId, amount }) => `refunded ${amount} on order ${orderId}`,
);

async function attempt(label: string, call: () => Promise<unknown>): Promise<void> {
  try {
    console.log(`✓ ${label}: ${JSON.stringify(await call())}`);
  } catch (error) {
    if (isGateInterrupt(error)) console.log(`⏸ ${label}: interrupt ${JSON.stringify(error)}`);
    else if (error instanceof GateDenied) console.log(`✗ ${label}: ${error.code} — ${error.message}`);
    else throw error;
  }
}

const alice = createSession({ sub: 'alice', tenant: 'acme', scopes: ['calendar:read', 'orders:refund'] });
const bob = createSession({ sub: 'bob', tenant: 'acme', scopes: ['calendar:read'] });

await runWithSession(alice, async () => {
  await attempt('alice lists events', () => listEvents({ day: '2026-11-23' }));
  await attempt('alice refunds 40', () => refund({ orderId: '1041', amount: 40 }));
  await attempt('alice refunds 240', () => refund({ orderId: '1042', amount: 240 }));
  await attempt('alice sends a malformed refund', () => refund({ orderId: '1043', amount: -1 }));
});
await runWithSession(bob, async () => {
  await attempt('bob refunds 40', () => refund({ orderId: '1044', amount: 40 }));
  // The model cannot change who the call acts for: identity never comes from arguments.
  await attempt('bob lists events claiming to be alice', () =>
    listEvents({ day: '2026-11-23', sub: 'alice' } as { day: string }),
  );
});
await attempt('a call with no session', () => listEvents({ day: '2026-11-23' }));

console.log('\naudit trail:');
for (const event of audit.events) {
  const subject = event.sub ?? '-';
  const detail = event.code ? `${event.code}` : '';
  console.log(
    `  ${event.hash.slice(0, 10)}  ${subject.padEnd(6)} ${event.tool.padEnd(12)} ${event.phase.padEnd(8)} ${(event.guard ?? '').padEnd(28)} ${event.outcome.padEnd(9)} ${detail}`,
  );
}

const verdict = verifyAuditChain(audit.events);
console.log(
  `\nchain verified: ${verdict.valid ? `intact (${verdict.count} events)` : `BROKEN at ${verdict.index}`}`,
);
const tampered = audit.events.map((event, index) =>
  index === 2 ? { ...event, outcome: 'deny' as const } : event,
);
const tamperedVerdict = verifyAuditChain(tampered);
console.log(
  `after editing event 3 in a copy: ${tamperedVerdict.valid ? 'intact?!' : `broken at event ${tamperedVerdict.index + 1} (${tamperedVerdict.reason})`}`,
);
if (!verdict.valid || tamperedVerdict.valid) process.exitCode = 1;
