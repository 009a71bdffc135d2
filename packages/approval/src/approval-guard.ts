import { randomUUID } from 'node:crypto';
import {
  AgentGateError,
  type AgentSession,
  canonicalJson,
  digestArgs,
  GateDenied,
  GateInterrupt,
  type Guard,
  type GuardContext,
  raceAbort,
  type SessionView,
  safeCause,
  toSessionView,
} from '@agentgate/core';
import { APPROVAL_CREDENTIAL, type ApprovedAction } from './approval-credential';
import { ApprovalRequestFailed } from './errors';
import { type Engine, PollFailed, type PollHandle, pollFailedDenial } from './internal/engine';
import type { ResolvedGuardOptions } from './internal/options';
import { type Binding, type RecordState, RecordStore, type StoredRecord } from './internal/records';
import type { AuthorizationDetail } from './types';

/** At most this many details, and this much JSON, per approval. */
const MAX_DETAILS = 16;
const MAX_DETAILS_JSON = 8_192;
const MAX_IN_APP_MESSAGE = 256;

/** Builds the guard `approvals.guard()` returns. */
export function createApprovalGuard<Args>(engine: Engine, options: ResolvedGuardOptions<Args>): Guard<Args> {
  const { name } = options;

  async function check(context: GuardContext<Args>): Promise<void> {
    const { session, args, argsDigest, callId, signal } = context;
    const view = toSessionView(session);
    const input = { args, session: view };
    if (options.when) {
      // Only `false` skips the approval: a callback that forgets to return (or returns anything but a boolean) must
      // not let a high-risk call through unapproved.
      const needed: unknown = await call('when', () => options.when?.(input));
      if (typeof needed !== 'boolean') {
        throw new GateDenied(
          'GUARD_FAILED',
          `${name}: when() must return true or false, not ${typeof needed}`,
          {
            guard: name,
          },
        );
      }
      if (!needed) {
        context.annotate({ reason: 'no approval required for these arguments' });
        return;
      }
    }
    if (
      options.channel === 'ciba' &&
      engine.options.ciba &&
      session.user.iss !== engine.options.ciba.issuer
    ) {
      // The approval token's `sub` is the CIBA issuer's user: it proves nothing about a user of another issuer.
      throw new GateDenied(
        'FORBIDDEN',
        `${name}: the session's issuer is not the CIBA issuer, so its user cannot approve on a device there`,
        { guard: name },
      );
    }
    const details = checkDetails(await call('details', () => options.details(input)));
    const bindingMessage = checkBindingMessage(
      await call('bindingMessage', () => options.bindingMessage(input)),
    );
    const binding: Binding = {
      iss: session.user.iss,
      sub: session.user.sub,
      ...(session.tenant === undefined ? {} : { tenant: session.tenant }),
      tool: context.tool.name,
      argsDigest,
      detailsDigest: digestArgs(details),
    };
    const callKey = RecordStore.callKeyOf(binding, session.id);
    let record = await engine.records.findByCall(callKey);
    if (!record) record = await request(context, view, binding, callKey, details, bindingMessage);
    assertBound(record, binding, session);
    context.annotate({ approvalId: record.id });

    const deadline = options.timeoutMs === undefined ? undefined : engine.now() + options.timeoutMs;
    let announced = false;
    // One reference to the record's poll loop for the whole wait, so re-reading the store never restarts it.
    let poll: PollHandle | undefined;
    try {
      for (;;) {
        const state = await engine.stateOf(record, callId);
        record = state.record;
        switch (state.status) {
          case 'approved':
            return consume(context, state);
          case 'consumed':
            return refuseReplay(record, callId);
          case 'denied':
            await engine.records.releaseCall(record);
            throw new GateInterrupt(
              'APPROVAL_DENIED',
              `approval ${record.id} for '${binding.tool}' was denied`,
              {
                guard: name,
                details: {
                  approvalId: record.id,
                  ...(state.decision?.reason ? { reason: state.decision.reason } : {}),
                },
              },
            );
          case 'expired':
            await engine.records.releaseCall(record);
            throw new GateInterrupt(
              'APPROVAL_EXPIRED',
              `approval ${record.id} for '${binding.tool}' expired undecided`,
              {
                guard: name,
                details: { approvalId: record.id },
              },
            );
          case 'failed':
            await engine.records.releaseCall(record);
            throw new GateDenied(
              state.decision?.untrusted ? 'FORBIDDEN' : 'GUARD_FAILED',
              `approval ${record.id} for '${binding.tool}' failed: ${state.decision?.reason ?? 'unknown reason'}`,
              { guard: name, details: { approvalId: record.id } },
            );
          case 'pending': {
            if (!announced) {
              announced = true;
              await engine.audit.record('pending', record, { callId });
            }
            if (options.mode === 'interrupt' || (deadline !== undefined && engine.now() >= deadline)) {
              if (options.mode === 'interrupt' && engine.options.pollInBackground && record.ciba?.authReqId) {
                engine.joinPoll(record, true);
              }
              throw pendingInterrupt(record, deadline !== undefined && options.mode === 'wait');
            }
            if (engine.closed) {
              // Nothing polls for a closed instance: waiting on would last until the request expires.
              throw new GateDenied(
                'GUARD_FAILED',
                `approval ${record.id} for '${binding.tool}': the approvals were closed while the call waited; ` +
                  'the request stays pending (call again with the same arguments to resume it)',
                { guard: name, details: { approvalId: record.id } },
              );
            }
            const current = (await engine.records.get(record.id)) ?? record;
            if (poll?.ended) {
              poll.leave(); // stopped or failed while the record is still pending: join a new loop
              poll = undefined;
            }
            if (!poll && current.ciba?.authReqId !== undefined) poll = engine.joinPoll(current, false);
            record = await waitForChange(current, poll, signal, deadline);
          }
        }
      }
    } finally {
      poll?.leave();
    }
  }

  /** Creates the record (or joins the one a concurrent identical call created) and sends the CIBA request. */
  async function request(
    context: GuardContext<Args>,
    view: SessionView,
    binding: Binding,
    callKey: string,
    details: AuthorizationDetail[],
    bindingMessage: string,
  ): Promise<StoredRecord> {
    const now = engine.now();
    const draft: StoredRecord = {
      v: 1,
      id: randomUUID(),
      channel: options.channel,
      binding,
      sessionId: context.session.id,
      callKey,
      ...(typeof context.callId === 'string' ? { callId: context.callId } : {}),
      guard: name,
      details,
      bindingMessage,
      createdAt: now,
      expiresAt: now + options.requestedExpiry * 1000,
      retainUntil: now + engine.options.retentionSeconds * 1000,
      ...(options.channel === 'ciba' ? { ciba: { interval: 5, audience: options.audience as string } } : {}),
    };
    const { record, created } = await engine.records.create(draft);
    if (!created) return record;
    if (record.channel === 'in-app') {
      await engine.audit.record('requested', record, { callId: context.callId, reason: 'in-app' });
      return record;
    }
    const ciba = engine.ciba;
    if (!ciba || !record.ciba) throw new Error('channel ciba without a CIBA client'); // options checked at creation
    try {
      const started = await ciba.initiate({
        loginHint: loginHintFor(view),
        scopes: options.scopes,
        audience: record.ciba.audience,
        bindingMessage,
        details,
        requestedExpiry: options.requestedExpiry,
        signal: context.signal,
      });
      const sent: StoredRecord = {
        ...record,
        expiresAt: Math.min(record.expiresAt, engine.now() + started.expiresIn * 1000),
        ciba: { ...record.ciba, authReqId: started.authReqId, interval: started.interval },
      };
      await engine.records.update(sent);
      await engine.audit.record('requested', sent, {
        callId: context.callId,
        reason: 'CIBA backchannel request sent',
      });
      if (engine.options.pollInBackground) engine.joinPoll(sent, true);
      return sent;
    } catch (error) {
      const reason = ApprovalRequestFailed.isInstance(error)
        ? error.message
        : 'the backchannel request was aborted';
      await engine.settle(
        record,
        { status: 'failed', decidedAt: engine.now(), reason },
        'failed',
        context.callId,
      );
      await engine.records.releaseCall(record);
      if (!ApprovalRequestFailed.isInstance(error)) throw error;
      throw new GateDenied('GUARD_FAILED', `approval for '${binding.tool}': ${error.message}`, {
        guard: name,
        cause: error,
        details: { approvalId: record.id, ...error.toDetails() },
      });
    }
  }

  /** Waits for a decision: the record's poll loop, a wake-up from this process, or a re-read of the store. */
  async function waitForChange(
    current: StoredRecord,
    poll: { done: Promise<void> } | undefined,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<StoredRecord> {
    // Listening before re-reading, so a decision made in between is not missed.
    const changed = engine.changed(current.id);
    if ((await engine.records.state(current)).status !== 'pending') {
      changed.cancel();
      return current;
    }
    const timers: ReturnType<typeof setTimeout>[] = [];
    const delay = (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push(setTimeout(resolve, ms));
      });
    const waits: Promise<unknown>[] = [changed.promise, delay(engine.options.storePollIntervalMs)];
    if (poll) waits.push(poll.done);
    if (deadline !== undefined) waits.push(delay(Math.max(0, deadline - engine.now())));
    try {
      signal?.throwIfAborted();
      await raceAbort(Promise.race(waits), signal);
    } catch (error) {
      if (error instanceof PollFailed) throw pollFailedDenial(error, current.id, name);
      throw error;
    } finally {
      for (const timer of timers) clearTimeout(timer);
      changed.cancel();
    }
    return current;
  }

  /** Just in time: re-validate when due, then take the ticket — the one step that lets exactly one call run. */
  async function consume(context: GuardContext<Args>, state: RecordState): Promise<void> {
    const { record, decision } = state;
    if (!decision) throw new Error('an approved record without its decision'); // status says approved
    // Late is measured to now, not to the decision: an approval given at once but used hours later is re-checked too.
    const late = engine.now() - record.createdAt > engine.options.revalidateAfterSeconds * 1000;
    const background = context.session.mode === 'background';
    if (late || background) {
      const why = background ? 'the session is a background session' : 'the approval is being used late';
      if (typeof context.session.revalidate !== 'function') {
        throw new GateDenied(
          'NO_SESSION',
          `approval ${record.id}: ${why} and the session cannot be re-validated`,
          {
            guard: name,
            details: { approvalId: record.id },
          },
        );
      }
      await context.session.revalidate(context.signal === undefined ? {} : { signal: context.signal });
    }
    context.signal?.throwIfAborted();
    const ticket = await engine.records.consume(record, decision);
    if (!ticket) return refuseReplay(record, context.callId);
    // What was approved is exactly what this call asks for (its details are part of the binding).
    if (digestArgs(ticket.authorizationDetails) !== record.binding.detailsDigest) {
      throw new GateDenied(
        'FORBIDDEN',
        `approval ${record.id} approved other details than this call asks for`,
        {
          guard: name,
          details: { approvalId: record.id },
        },
      );
    }
    await engine.audit.record('consumed', record, { callId: context.callId });
    const approval: ApprovedAction = Object.freeze({
      approvalId: record.id,
      channel: record.channel,
      authorizationDetails: Object.freeze(ticket.authorizationDetails),
      ...(ticket.accessToken === undefined ? {} : { accessToken: ticket.accessToken }),
    });
    context.setCredential(APPROVAL_CREDENTIAL, approval);
  }

  async function refuseReplay(record: StoredRecord, callId: string): Promise<never> {
    const reason = `approval ${record.id} was already used: an approval runs its action once`;
    await engine.audit.record('deny', record, { callId, code: 'FORBIDDEN', reason });
    throw new GateDenied('FORBIDDEN', reason, {
      guard: name,
      details: { approvalId: record.id, reason: 'consumed' },
    });
  }

  function pendingInterrupt(record: StoredRecord, timedOut: boolean): GateInterrupt<'APPROVAL_PENDING'> {
    const where = record.channel === 'ciba' ? "on the user's device" : 'in the app';
    return new GateInterrupt(
      'APPROVAL_PENDING',
      `approval ${record.id} for '${record.binding.tool}' is pending ${where}` +
        (timedOut ? ' (the wait timed out; call again with the same arguments to resume it)' : ''),
      {
        guard: name,
        details: {
          approvalId: record.id,
          channel: record.channel,
          bindingMessage: record.bindingMessage,
          authorizationDetails: record.details,
          expiresAt: new Date(record.expiresAt).toISOString(),
          ...(timedOut ? { timedOut: true } : {}),
        },
      },
    );
  }

  function loginHintFor(view: SessionView): string {
    const hint = engine.options.ciba?.loginHint ?? 'iss_sub';
    if (hint === 'iss_sub')
      return JSON.stringify({ format: 'iss_sub', iss: view.user.iss, sub: view.user.sub });
    if (hint === 'sub') return view.user.sub;
    let value: unknown;
    try {
      value = hint({ session: view });
    } catch (error) {
      throw new GateDenied('GUARD_FAILED', 'ciba.loginHint failed', { guard: name, cause: safeCause(error) });
    }
    if (typeof value !== 'string' || value.length === 0) {
      throw new GateDenied('GUARD_FAILED', 'ciba.loginHint must return a non-empty string', { guard: name });
    }
    return value;
  }

  function checkDetails(value: unknown): AuthorizationDetail[] {
    const problem = (text: string) =>
      new GateDenied('GUARD_FAILED', `${name}: details() ${text}`, { guard: name });
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_DETAILS) {
      throw problem(`must return 1 to ${MAX_DETAILS} authorization details`);
    }
    for (const detail of value) {
      if (
        typeof detail !== 'object' ||
        detail === null ||
        Array.isArray(detail) ||
        typeof detail.type !== 'string'
      ) {
        throw problem('must return objects, each with a string type');
      }
    }
    let text: string;
    try {
      text = canonicalJson(value);
    } catch (error) {
      throw new GateDenied('GUARD_FAILED', `${name}: details() must return JSON data`, {
        guard: name,
        cause: error,
      });
    }
    if (text.length > MAX_DETAILS_JSON)
      throw problem(`must stay under ${MAX_DETAILS_JSON} characters of JSON`);
    return JSON.parse(text) as AuthorizationDetail[];
  }

  function checkBindingMessage(value: unknown): string {
    const rules = options.channel === 'ciba' ? engine.options.ciba?.bindingMessageRules : undefined;
    const fail = (text: string) =>
      new GateDenied('GUARD_FAILED', `${name}: bindingMessage() ${text}; no request was sent`, {
        guard: name,
      });
    if (typeof value !== 'string' || value.length === 0) throw fail('must return a non-empty string');
    if (rules) {
      if (value.length > rules.maxLength)
        throw fail(`is longer than the provider's ${rules.maxLength} characters`);
      if (!rules.pattern.test(value))
        throw fail(`has characters the provider refuses (allowed: ${rules.pattern.source})`);
    } else if (value.length > MAX_IN_APP_MESSAGE) {
      throw fail(`is longer than ${MAX_IN_APP_MESSAGE} characters`);
    } else if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(value)) {
      // Shown to the user as what they approve: no line breaks, escape sequences or bidi overrides to spoof it with.
      throw fail('has control or format characters (line breaks, escape sequences, bidi overrides)');
    }
    return value;
  }

  /** A user callback's failure denies the call (fail closed); its own decisions pass through. */
  async function call<T>(what: string, run: () => T | Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (AgentGateError.isInstance(error)) throw error;
      throw new GateDenied('GUARD_FAILED', `${name}: ${what}() failed`, {
        guard: name,
        cause: safeCause(error),
      });
    }
  }

  /** The record must be this user's, for this tool, these arguments and details, in this session. */
  function assertBound(record: StoredRecord, binding: Binding, session: AgentSession): void {
    if (canonicalJson(record.binding) !== canonicalJson(binding) || record.sessionId !== session.id) {
      throw new GateDenied('FORBIDDEN', `approval ${record.id} is bound to another call`, {
        guard: name,
        details: { approvalId: record.id },
      });
    }
  }

  return Object.freeze({ name, kind: 'approval', check });
}
