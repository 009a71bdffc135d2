import { randomUUID } from 'node:crypto';
import { GateDenied } from '@agentgate/core';
import type { ApprovalRequestFailed } from '../errors';
import { type CibaClient, createCibaClient, type PollOutcome } from './ciba-client';
import { LifecycleAudit } from './lifecycle-audit';
import type { ResolvedOptions } from './options';
import { type RecordState, RecordStore, type StoredDecision, type StoredRecord } from './records';

/** How long past its expiry a CIBA poll may run before the record is expired locally (the provider is late). */
const EXPIRY_GRACE_MS = 5_000;

interface ActivePoll {
  readonly done: Promise<void>;
  readonly controller: AbortController;
  refs: number;
  /** Held by a worker, `resume()` or `pollInBackground`: runs until settled or closed. */
  background: boolean;
  ended: boolean;
}

/** A reference to a record's poll loop. */
export interface PollHandle {
  readonly done: Promise<void>;
  /** The loop ended (settled, stopped or failed): a waiter on a still pending record joins a new one. */
  readonly ended: boolean;
  leave(): void;
}

/** A failure of the one poll loop of a record, shared by every waiter on it. */
export class PollFailed extends Error {
  constructor(readonly failure: ApprovalRequestFailed) {
    super(failure.message, { cause: failure });
  }
}

/**
 * The machinery behind `createApprovals`: the store layout, lifecycle audit, the CIBA client, one poll loop per
 * pending CIBA record in this process (shared by every waiter and by the worker), and in-process wake-ups.
 */
export class Engine {
  readonly options: ResolvedOptions;
  readonly records: RecordStore;
  readonly audit: LifecycleAudit;
  readonly ciba: CibaClient | undefined;
  readonly #polls = new Map<string, ActivePoll>();
  readonly #listeners = new Map<string, Set<() => void>>();
  #closed = false;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.records = new RecordStore(options.store, options.now);
    this.audit = new LifecycleAudit(options.audit);
    this.ciba = options.ciba === undefined ? undefined : createCibaClient(options.ciba, options.now);
  }

  get closed(): boolean {
    return this.#closed;
  }

  now(): number {
    return this.options.now();
  }

  /** Wakes whoever in this process waits on `id`. */
  notify(id: string): void {
    for (const listener of this.#listeners.get(id) ?? []) listener();
  }

  /** Resolves on the next `notify(id)`; `cancel` drops the listener. */
  changed(id: string): { promise: Promise<void>; cancel(): void } {
    let listener = () => {};
    const promise = new Promise<void>((resolve) => {
      listener = resolve;
    });
    const set = this.#listeners.get(id) ?? new Set();
    set.add(listener);
    this.#listeners.set(id, set);
    return {
      promise,
      cancel: () => {
        set.delete(listener);
        if (set.size === 0) this.#listeners.delete(id);
      },
    };
  }

  /**
   * Writes a denial, expiry or failure once; the winner audits it. Every waiter in this process wakes.
   * @returns whether this call's decision won
   */
  async settle(
    record: StoredRecord,
    decision: StoredDecision,
    outcome: 'denied' | 'expired' | 'failed',
    callId?: string,
  ): Promise<boolean> {
    const won = await this.records.settle(record, decision);
    if (won) {
      this.notify(record.id);
      await this.audit.record(outcome, record, {
        ...(callId === undefined ? {} : { callId }),
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
      });
    }
    return won;
  }

  /** Writes an approval (ticket first, then decision); the winner audits it. */
  async approve(record: StoredRecord, accessToken: string | undefined, reason: string): Promise<boolean> {
    const won = await this.records.approve(record, {
      nonce: randomUUID(),
      ...(accessToken === undefined ? {} : { accessToken }),
      authorizationDetails: record.details,
      decidedAt: this.now(),
    });
    if (won) {
      this.notify(record.id);
      await this.audit.record('approved', record, { reason });
    }
    return won;
  }

  /** The record's state, with an overdue pending record settled as expired (and audited once). */
  async stateOf(record: StoredRecord, callId?: string): Promise<RecordState> {
    const state = await this.records.state(record);
    if (state.status === 'expired' && state.decision === undefined) {
      await this.settle(
        record,
        { status: 'expired', decidedAt: this.now(), reason: 'the request expired undecided' },
        'expired',
        callId,
      );
      return this.records.state(record);
    }
    return state;
  }

  /**
   * Joins (or starts) the one poll loop of a pending CIBA record in this process. `leave()` drops this reference; the
   * loop stops when no one holds one. A `background` reference is held until the loop ends (or `close()`).
   */
  joinPoll(record: StoredRecord, background: boolean): PollHandle {
    // Closed: no new loop (close() promised to stop them all); a waiter sees `ended` and stops waiting.
    if (this.#closed) return { done: Promise.resolve(), ended: true, leave: () => {} };
    let active = this.#polls.get(record.id);
    if (!active || active.ended || active.controller.signal.aborted) {
      const controller = new AbortController();
      const done = this.#pollLoop(record, controller.signal).finally(() => {
        if (active) active.ended = true;
        if (this.#polls.get(record.id) === active) this.#polls.delete(record.id);
      });
      // Observed here, so a loop no one awaits (a background one) never becomes an unhandled rejection.
      done.catch(() => undefined);
      active = { done, controller, refs: 0, background: false, ended: false };
      this.#polls.set(record.id, active);
    }
    const poll = active;
    if (background || this.options.pollInBackground) {
      poll.background = true;
      return {
        done: poll.done,
        get ended() {
          return poll.ended;
        },
        leave: () => {},
      };
    }
    poll.refs += 1;
    let left = false;
    return {
      done: poll.done,
      get ended() {
        return poll.ended;
      },
      leave: () => {
        if (left) return;
        left = true;
        poll.refs -= 1;
        if (poll.refs === 0 && !poll.background) poll.controller.abort(new Error('no one waits'));
      },
    };
  }

  async #pollLoop(record: StoredRecord, signal: AbortSignal): Promise<void> {
    const ciba = this.ciba;
    const authReqId = record.ciba?.authReqId;
    if (!ciba || !record.ciba || authReqId === undefined) return;
    // The provider answers expired_token at expiry; if it does not, the record expires here (fail closed).
    const expiry = new AbortController();
    const timer = setTimeout(
      () => expiry.abort(new Error('expired')),
      Math.max(0, record.expiresAt - this.now() + record.ciba.interval * 1000 + EXPIRY_GRACE_MS),
    );
    let outcome: PollOutcome;
    try {
      outcome = await ciba.poll({
        authReqId,
        expiresAt: record.expiresAt,
        interval: record.ciba.interval,
        audience: record.ciba.audience,
        expectedSub: record.binding.sub,
        details: record.details,
        signal: AbortSignal.any([signal, expiry.signal]),
      });
    } catch (error) {
      if (!expiry.signal.aborted) {
        if (signal.aborted) return; // stopped: the record stays pending for whoever resumes it
        throw error;
      }
      outcome = { type: 'expired', reason: 'the request expired undecided' };
    } finally {
      clearTimeout(timer);
    }
    const decidedAt = this.now();
    switch (outcome.type) {
      case 'approved':
        await this.approve(record, outcome.accessToken, 'approved on the user’s device (CIBA)');
        return;
      case 'denied':
      case 'expired':
        await this.settle(record, { status: outcome.type, decidedAt, reason: outcome.reason }, outcome.type);
        return;
      case 'untrusted':
        await this.settle(
          record,
          { status: 'failed', decidedAt, reason: outcome.reason, untrusted: true },
          'failed',
        );
        return;
      case 'failed': {
        if (outcome.failure.transient) throw new PollFailed(outcome.failure);
        // `invalid_grant` after another process already took the token: its decision stands.
        const state = await this.records.state(record);
        if (state.decision === undefined) {
          await this.settle(
            record,
            { status: 'failed', decidedAt, reason: outcome.failure.message },
            'failed',
          );
        }
        return;
      }
    }
  }

  /** Starts background polls for every pending CIBA record and expires overdue ones; returns the polls started. */
  async scan(): Promise<{ polled: number; done: Promise<void>[] }> {
    const done: Promise<void>[] = [];
    let polled = 0;
    for (const id of await this.records.index.ids()) {
      if (this.#closed) break;
      const record = await this.records.get(id);
      if (!record) continue;
      const state = await this.stateOf(record);
      if (state.status !== 'pending') continue;
      if (record.channel !== 'ciba') continue;
      if (record.ciba?.authReqId === undefined) {
        // Its backchannel request never completed (the process stopped in between): it cannot be polled.
        if (this.now() - record.createdAt > 2 * (this.options.ciba?.timeoutMs ?? 10_000)) {
          await this.settle(
            record,
            { status: 'failed', decidedAt: this.now(), reason: 'the backchannel request never completed' },
            'failed',
          );
        }
        continue;
      }
      polled += 1;
      done.push(this.joinPoll(record, true).done);
    }
    return { polled, done };
  }

  /** Stops every poll loop of this instance; records stay pending in the store. */
  async close(): Promise<void> {
    this.#closed = true;
    // Every call waiting in this process wakes, sees the instance closed and stops waiting.
    for (const id of [...this.#listeners.keys()]) this.notify(id);
    const polls = [...this.#polls.values()];
    for (const poll of polls) poll.controller.abort(new Error('approvals closed'));
    await Promise.allSettled(polls.map((poll) => poll.done));
  }
}

/** A poll loop failure as the guard's denial: fail closed, the record stays pending. */
export function pollFailedDenial(error: PollFailed, approvalId: string, guard: string): GateDenied {
  return new GateDenied('GUARD_FAILED', `approval ${approvalId}: ${error.failure.message}`, {
    guard,
    cause: error.failure,
    details: { approvalId, ...error.failure.toDetails() },
  });
}
