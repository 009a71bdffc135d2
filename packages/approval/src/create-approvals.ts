import { assertKnownOptions, GateDenied, type Guard, raceAbort } from '@agentgate/core';
import { createApprovalGuard } from './approval-guard';
import { Engine } from './internal/engine';
import { resolveGuardOptions, resolveOptions } from './internal/options';
import { toView } from './internal/records';
import type {
  ApprovalGuardOptions,
  Approvals,
  ApprovalsOptions,
  ApprovalView,
  ApprovalWorker,
  DecideOptions,
  ListApprovalsFilter,
  ResumeReport,
} from './types';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'consumed', 'failed'];

/**
 * Creates the approvals of an app: durable records in a `Store`, bound to the user, the tool, the arguments' digest
 * and the details; a guard of kind `approval` (so a risk policy's `high: ['approval']` is met); in-app decisions; and
 * a resumable poller for CIBA requests.
 *
 * @throws TypeError on an invalid or unknown option (checked now)
 * @example
 * const approvals = createApprovals({ store, audit: sink, ciba: { issuer, clientId, clientSecret, audience } });
 * const refund = gate.protect({ name: 'refund_order', risk: 'high', schema }, [
 *   approvals.guard({ channel: 'ciba', mode: 'interrupt',
 *     details: ({ args }) => [{ type: 'refund', orderId: args.orderId, amount: args.amount, currency: 'EUR' }],
 *     bindingMessage: ({ args }) => `Refund ${args.amount} EUR on order ${args.orderId}` }),
 * ], run);
 */
export function createApprovals(options: ApprovalsOptions): Approvals {
  const engine = new Engine(resolveOptions(options));
  const workers = new Set<() => Promise<void>>();

  async function get(id: string): Promise<ApprovalView | undefined> {
    if (typeof id !== 'string' || id.length === 0)
      throw new TypeError('approvals.get: id must be a non-empty string');
    const record = await engine.records.get(id);
    return record === undefined ? undefined : toView(await engine.stateOf(record));
  }

  async function list(filter: ListApprovalsFilter = {}): Promise<ApprovalView[]> {
    assertKnownOptions('approvals.list', filter, ['sub', 'status', 'channel'], 'filter');
    if (filter.status !== undefined && !STATUSES.includes(filter.status)) {
      throw new TypeError(`approvals.list: filter.status must be one of ${STATUSES.join(', ')}`);
    }
    const views: ApprovalView[] = [];
    for (const id of await engine.records.index.ids()) {
      const record = await engine.records.get(id);
      if (!record) continue;
      if (filter.sub !== undefined && record.binding.sub !== filter.sub) continue;
      if (filter.channel !== undefined && record.channel !== filter.channel) continue;
      const view = toView(await engine.stateOf(record));
      if (filter.status === undefined || view.status === filter.status) views.push(view);
    }
    return views;
  }

  async function decide(id: string, decideOptions: DecideOptions): Promise<ApprovalView> {
    assertKnownOptions('approvals.decide', decideOptions, ['session', 'decision']);
    const { session, decision } = decideOptions;
    if (decision !== 'approve' && decision !== 'deny') {
      throw new TypeError("approvals.decide: options.decision must be 'approve' or 'deny'");
    }
    if (typeof session?.user?.sub !== 'string' || typeof session.user.iss !== 'string') {
      throw new GateDenied('NO_SESSION', 'approvals.decide needs the deciding user’s session');
    }
    // A human decides: not a background session (an agent running without the user), and a session that can still
    // be re-checked is re-checked now (a revoked login decides nothing).
    if (session.mode === 'background') {
      throw new GateDenied('NO_SESSION', 'approvals.decide: a background session cannot decide an approval');
    }
    if (typeof (session as { revalidate?: unknown }).revalidate === 'function') {
      await (session as { revalidate: () => Promise<void> }).revalidate();
    }
    const record = typeof id === 'string' && id.length > 0 ? await engine.records.get(id) : undefined;
    const { binding } = record ?? {};
    // Another user's approval and an unknown id look the same: nothing tells one user of another's approvals.
    if (
      !record ||
      binding?.iss !== session.user.iss ||
      binding.sub !== session.user.sub ||
      binding.tenant !== session.tenant
    ) {
      throw new GateDenied('FORBIDDEN', `there is no approval ${String(id)} for this user`, {
        details: { approvalId: String(id) },
      });
    }
    if (record.channel !== 'in-app') {
      throw new GateDenied(
        'FORBIDDEN',
        `approval ${id} is decided on the user's device (CIBA), not in the app`,
        {
          details: { approvalId: id },
        },
      );
    }
    const state = await engine.stateOf(record);
    if (state.status !== 'pending') {
      throw new GateDenied('FORBIDDEN', `approval ${id} is ${state.status}, not pending`, {
        details: { approvalId: id, status: state.status },
      });
    }
    const reason = `decided in the app (session ${session.id})`;
    const won =
      decision === 'approve'
        ? await engine.approve(record, undefined, reason)
        : await engine.settle(
            record,
            { status: 'denied', decidedAt: engine.now(), reason: 'the user denied it' },
            'denied',
          );
    if (!won) {
      throw new GateDenied('FORBIDDEN', `approval ${id} was decided already`, {
        details: { approvalId: id },
      });
    }
    return toView(await engine.stateOf(record));
  }

  async function resume(resumeOptions: { signal?: AbortSignal } = {}): Promise<ResumeReport> {
    assertKnownOptions('approvals.resume', resumeOptions, ['signal']);
    const { signal } = resumeOptions;
    const { polled, done } = await engine.scan();
    const settled = Promise.allSettled(done);
    // An abort ends the wait (the polls go on, settling the records for whoever asks next).
    await raceAbort(settled, signal).catch(() => undefined);
    const counts = { polled, approved: 0, denied: 0, expired: 0, failed: 0, pending: 0 };
    // Counted from the store: what the polls of this call settled, and what another process settled meanwhile.
    for (const view of await list({ channel: 'ciba' })) {
      if (view.status === 'approved' || view.status === 'consumed') counts.approved += 1;
      else if (view.status !== 'pending') counts[view.status] += 1;
      else counts.pending += 1;
    }
    return Object.freeze(counts);
  }

  function startWorker(
    workerOptions: { intervalMs?: number; onError?: (error: unknown) => void } = {},
  ): ApprovalWorker {
    assertKnownOptions('approvals.startWorker', workerOptions, ['intervalMs', 'onError']);
    const intervalMs = workerOptions.intervalMs ?? 5000;
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
      throw new TypeError('approvals.startWorker: options.intervalMs must be a positive number');
    }
    if (workerOptions.onError !== undefined && typeof workerOptions.onError !== 'function') {
      throw new TypeError('approvals.startWorker: options.onError must be a function');
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current: Promise<void> = Promise.resolve();
    const tick = () => {
      current = engine
        .scan()
        .then(() => undefined)
        .catch((error: unknown) => workerOptions.onError?.(error))
        .finally(() => {
          if (!stopped && !engine.closed) timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
    const stop = async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
      workers.delete(stop);
    };
    workers.add(stop);
    return { stop };
  }

  return Object.freeze({
    guard<Args = unknown>(guardOptions: ApprovalGuardOptions<Args>): Guard<Args> {
      const resolved = resolveGuardOptions(
        guardOptions,
        engine.options.ciba,
        engine.options.retentionSeconds,
      );
      return createApprovalGuard(engine, resolved);
    },
    get,
    list,
    decide,
    resume,
    startWorker,
    async close() {
      await Promise.all([...workers].map((stop) => stop()));
      await engine.close();
    },
  });
}
