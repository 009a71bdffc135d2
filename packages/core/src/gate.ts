import { randomUUID } from 'node:crypto';
import { raceAbort } from './abort';
import { snapshotArgs } from './args-snapshot';
import { type AuditLog, type AuditSink, createAuditLog, decisionAppenderOf } from './audit/audit-log';
import type { AuditEvent, AuditEventDraft, AuditOutcome, AuditPhase } from './audit/event';
import type { DecisionFacts } from './audit/event-json';
import { type ExecutionContext, runInCall } from './call-context';
import { digestArgs } from './digest';
import {
  AgentGateError,
  type AnyGateDenied,
  type AnyGateInterrupt,
  type ArgumentIssue,
  AuditFailed,
  GateDenied,
  GateInterrupt,
  isConnectionTokenRejected,
  isGateDecision,
  isInterruptCode,
} from './errors';
import type { Guard, GuardAnnotations, GuardContext, ToolDescriptor } from './guard';
import {
  type GateObserver,
  type ObservedRunEnd,
  type ObserverFailure,
  observeRun,
  observerErrorReporter,
  validateObservers,
} from './observer';
import { assertKnownOptions } from './options';
import { redactSecrets, redactValue } from './redact';
import { defaultRiskPolicy, type RiskPolicy, validateRiskPolicy } from './risk-policy';
import {
  type AgentSession,
  currentSession,
  type SessionView,
  sessionProblem,
  toSessionView,
} from './session';
import { type GuardPlan, planGuards, type ShadowOptions, validateShadow } from './shadow';
import type { StandardSchemaV1 } from './standard-schema';
import { describeThrown } from './thrown';

/**
 * A tool as the gate sees it: descriptor plus, optionally, the schema its arguments must satisfy. `Args` is what the
 * schema outputs (what guards and the tool see); `Input` is what a caller passes (the schema's input type, so a field
 * with a default is optional to the caller).
 */
export interface GatedTool<Args = unknown, Input = Args> extends ToolDescriptor {
  /** Any Standard Schema (zod 4, valibot, arktype). Arguments failing it never reach a guard. */
  readonly schema?: StandardSchemaV1<Input, Args>;
}

/** One call of a tool, as the model asked for it. */
export interface GateCall<Args = unknown> {
  tool: GatedTool<Args, unknown>;
  /** The raw arguments from the model; validated before any guard runs. */
  args: unknown;
  /** The framework's tool-call id; a random UUID when absent. */
  callId?: string;
  signal?: AbortSignal;
}

/** The tool body: runs only after every guard passed, with the credentials they attached in `context`. */
export type ToolExecute<Args, Result> = (args: Args, context: ExecutionContext) => Result | Promise<Result>;

/** Options of {@link GatedFunction}. */
export interface GatedCallOptions {
  /** The session to act for; defaults to the one set by `runWithSession`. */
  session?: AgentSession;
  callId?: string;
  signal?: AbortSignal;
}

/** A tool body behind the gate, as returned by {@link Gate.protect}: called with the schema's input type. */
export type GatedFunction<Input, Result> = (args: Input, options?: GatedCallOptions) => Promise<Result>;

export interface GateOptions {
  /** Where decisions are recorded: a sink (`jsonlAudit(path)`, `memoryAudit()`) or a log; `false` to record nothing. */
  audit: AuditSink | AuditLog | false;
  /** Names the agent in audit events: `{ id: 'support-bot' }`. */
  agent?: { id: string };
  /** Guard kinds each risk level requires. @default { high: ['approval'] } */
  riskPolicy?: RiskPolicy;
  /** Also record raw arguments (secret-looking fields redacted) in audit events. @default false */
  recordArgs?: boolean;
  /** Called when the outcome event of a call that already ran could not be stored (it stays queued). */
  onAuditFailure?: (error: AuditFailed) => void;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * Guards to run in shadow mode: their refusals are recorded as `would-deny` / `would-interrupt` and the call goes on.
   * Guards whose kind the risk policy requires for the tool's risk can never be shadowed (`TypeError` at `protect`,
   * FORBIDDEN on record at `run`).
   */
  shadow?: ShadowOptions;
  /**
   * Follow every call (spans, metrics): see {@link GateObserver} and `@agentgate/otel`. Observers never change a
   * decision. @default []
   */
  observers?: readonly GateObserver[];
  /** Hears an observer hook that threw (the call went on unchanged). Default: such errors are dropped. */
  onObserverError?: (failure: ObserverFailure) => void;
}

/** The gate: every tool call passes through `run`. */
export interface Gate {
  /**
   * Resolves the session (explicit, else the current one; never from arguments), validates the arguments, runs the
   * guards in order, and runs `execute` only if every guard passed. Every decision and the outcome are audited.
   *
   * @throws GateDenied `NO_SESSION`, `INVALID_ARGUMENTS`, `FORBIDDEN`, `INSUFFICIENT_SCOPE`, `GUARD_FAILED`
   * @throws GateInterrupt when a guard needs the user to act
   * @throws AuditFailed when a decision could not be recorded (nothing ran)
   */
  run<Args, Result>(
    call: GateCall<Args>,
    session: AgentSession | undefined,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): Promise<Result>;
  /**
   * Binds a tool body to its guards once. Checks the risk policy now, so a high-risk tool without the guards the
   * policy requires cannot even be created.
   *
   * @throws TypeError when the tool or guards are malformed, the risk is not one of `low`, `medium`, `high`, or the
   * risk policy is not satisfied
   */
  protect<Args, Result, Input = Args>(
    tool: GatedTool<Args, Input>,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): GatedFunction<Input, Result>;
  /** @throws TypeError when `guards` do not satisfy the risk policy for `tool`. */
  assertPolicy(tool: ToolDescriptor, guards: readonly Guard<never>[]): void;
  /** The audit log, or `undefined` when created with `audit: false`. */
  readonly audit: AuditLog | undefined;
  /**
   * Closes the gate: later calls fail closed with `AUDIT_FAILED` (nothing runs); calls already admitted finish first,
   * so their outcome events are stored (a call waiting on a guard, e.g. an approval, keeps `close()` waiting: abort
   * its signal to end it). Then closes the log the gate built from the sink it was given; a log passed in as `audit`
   * is only flushed, as it is the caller's to close. Idempotent.
   *
   * @throws AuditFailed when queued events cannot be stored (they stay queued; call again)
   */
  close(): Promise<void>;
}

/**
 * Creates the gate every tool call of an agent passes through.
 *
 * @example
 * const gate = createGate({ audit: jsonlAudit('audit.jsonl') });
 * const listEvents = gate.protect({ name: 'list_events', schema }, [requireScopes('calendar:read')], run);
 */
const GATE_OPTIONS = [
  'audit',
  'agent',
  'riskPolicy',
  'recordArgs',
  'onAuditFailure',
  'now',
  'shadow',
  'observers',
  'onObserverError',
] as const;

export function createGate(options: GateOptions): Gate {
  if (
    typeof options !== 'object' ||
    options === null ||
    options.audit === undefined ||
    options.audit === null
  ) {
    throw new TypeError('createGate: options.audit is required (a sink such as jsonlAudit(path), or false)');
  }
  assertKnownOptions('createGate', options, GATE_OPTIONS);
  const agent = agentIdOf(options.agent);
  if (options.recordArgs !== undefined && typeof options.recordArgs !== 'boolean') {
    throw new TypeError('createGate: options.recordArgs must be a boolean');
  }
  for (const name of ['onAuditFailure', 'now', 'onObserverError'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`createGate: options.${name} must be a function`);
    }
  }
  const riskPolicy = validateRiskPolicy(options.riskPolicy ?? defaultRiskPolicy);
  const audit = toAuditLog(options.audit, options.now);
  const ownsAudit = audit !== undefined && audit !== options.audit;
  const recordArgs = options.recordArgs ?? false;
  const onAuditFailure = options.onAuditFailure;
  const shadow = validateShadow(options.shadow);
  const observers = validateObservers(options.observers);
  const reportObserverError = observerErrorReporter(options.onObserverError);
  // Calls admitted and not yet settled: close() waits for them, so no admitted call loses its outcome event.
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;

  function assertPolicy(tool: ToolDescriptor, guards: readonly Guard<never>[]): void {
    const {
      risk,
      missing,
      shadowedRequired: shadowed,
    } = planGuards(riskPolicy, shadow, tool, tool.name, guards);
    if (missing.length > 0) {
      throw new TypeError(
        `tool '${tool.name}' is ${risk} risk and the risk policy requires guards of kind: ${missing.join(', ')}`,
      );
    }
    if (shadowed.length > 0) {
      throw new TypeError(
        `tool '${tool.name}' is ${risk} risk: the risk policy requires guard ${shadowed.map((name) => `'${name}'`).join(', ')} ` +
          'to be enforced, so it cannot run in shadow mode',
      );
    }
  }

  function run<Args, Result>(
    call: GateCall<Args>,
    explicitSession: AgentSession | undefined,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): Promise<Result> {
    if (closing) {
      return Promise.reject(
        new AuditFailed(
          `the gate is closed: the call of '${describeThrown(call?.tool?.name)}' was not admitted`,
        ),
      );
    }
    const running = runAdmitted(call, explicitSession, guards, execute);
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return running;
  }

  async function runAdmitted<Args, Result>(
    call: GateCall<Args>,
    explicitSession: AgentSession | undefined,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): Promise<Result> {
    if (typeof call !== 'object' || call === null)
      throw new TypeError('gate.run: call must be { tool, args }');
    if (call.callId !== undefined && (typeof call.callId !== 'string' || call.callId.length === 0)) {
      throw new TypeError('gate.run: call.callId must be a non-empty string when given');
    }
    const callId = call.callId ?? randomUUID();
    const toolName = typeof call.tool?.name === 'string' ? call.tool.name : describeThrown(call.tool?.name);
    const base: Pick<
      AuditEventDraft,
      'tool' | 'callId' | 'agent' | 'sessionId' | 'sub' | 'tenant' | 'argsDigest'
    > = {
      tool: toolName,
      callId,
      ...(agent === undefined ? {} : { agent }),
    };
    const observation =
      observers.length === 0
        ? undefined
        : observeRun(
            observers,
            { tool: toolName, callId, risk: riskOf(call.tool), ...(agent === undefined ? {} : { agent }) },
            reportObserverError,
          );
    const record = (
      phase: AuditPhase,
      outcome: AuditOutcome,
      extra: DecisionFacts = NO_DECISION_FACTS,
    ): Promise<unknown> => {
      if (!audit) return NOTHING_TO_RECORD;
      const appendDecision = decisionAppenderOf(audit);
      if (appendDecision) {
        // A log of ours: the event is built from the call's facts and this decision's, with no draft in between; with
        // no observer to hand it to, the log may keep it without a copy.
        const appended = appendDecision(base, phase, outcome, extra, observation === undefined);
        return observation ? appended.then((event) => observation.auditEvent(event as AuditEvent)) : appended;
      }
      // Any other log: one draft shape for every event (absent facts `undefined`, which the log leaves out).
      const appended = audit.append({
        tool: base.tool,
        callId: base.callId,
        agent: base.agent,
        sessionId: base.sessionId,
        sub: base.sub,
        tenant: base.tenant,
        argsDigest: base.argsDigest,
        phase,
        guard: extra.guard,
        outcome,
        code: extra.code,
        reason: extra.reason,
        approvalId: extra.approvalId,
        connection: extra.connection,
        args: extra.args,
      });
      return observation ? appended.then((event) => observation.auditEvent(event)) : appended;
    };
    /** Records the decision (for the guard that made it, named by the gate) and throws it. */
    const refuse = async (
      phase: AuditPhase,
      error: GateDenied | GateInterrupt,
      guardName: string | undefined = error.guard,
    ): Promise<never> => {
      await record(phase, isInterruptCode(error.code) ? 'interrupt' : 'deny', {
        ...(guardName === undefined ? {} : { guard: guardName }),
        code: error.code,
        reason: error.message,
      });
      throw error;
    };

    // What the tool threw, if it ran and threw: observers hear that the call failed rather than was refused.
    let toolError: unknown = NOTHING_THROWN;
    const decide = async (): Promise<Result> => {
      // 1. The session: explicit, else the async context. Never from the arguments. Only `undefined` means "not
      //    given": any other value that is no session (`null` included) is refused, never replaced by another one. It
      //    is checked whole before anything reads it and its tool-safe view taken now, so a hand-built object missing
      //    a field is refused on record here, never a TypeError after the guards allowed.
      const session = explicitSession === undefined ? currentSession() : explicitSession;
      let problem = session === undefined ? undefined : sessionProblem(session);
      let sessionView: SessionView | undefined;
      if (session !== undefined && problem === undefined) {
        try {
          sessionView = toSessionView(session);
        } catch {
          problem = 'reading it threw';
        }
      }
      if (session === undefined || sessionView === undefined) {
        return refuse(
          'session',
          new GateDenied(
            'NO_SESSION',
            session !== undefined
              ? `the session for the call of '${toolName}' is malformed: ${problem}`
              : `no session for the call of '${toolName}'`,
          ),
        );
      }
      base.sessionId = sessionView.id;
      base.sub = sessionView.user.sub;
      if (sessionView.tenant !== undefined) base.tenant = sessionView.tenant;

      // Guards as given to run(): each needs a name, a kind and check() (protect() checks this at creation).
      if (!Array.isArray(guards)) {
        return refuse('policy', new GateDenied('FORBIDDEN', `the guards of '${toolName}' are not an array`));
      }
      const malformed = guards.findIndex((guard) => !isWellFormedGuard(guard));
      if (malformed >= 0) {
        return refuse(
          'policy',
          new GateDenied(
            'FORBIDDEN',
            `guard #${malformed} of '${toolName}' has no string name, kind or check()`,
          ),
        );
      }

      // 2. The arguments, validated before any guard sees them, then frozen into the one copy that is digested, read by
      //    the guards and given to the tool. Recording them (redacted) is part of this fail-closed step.
      // The raw arguments are frozen before validation too: a schema that returns its input (`z.any().refine`, a custom
      // one) must not leave the caller an object it can still change.
      let args: Args;
      let argsRecord: { args?: unknown } = {};
      try {
        args = snapshotArgs(await validateArgs(call.tool, snapshotArgs(call.args)));
        base.argsDigest = digestArgs(args);
        if (recordArgs) argsRecord = { args: redactValue(args) };
      } catch (error) {
        return refuse('validate', toInvalidArguments(toolName, error));
      }
      const argsDigest = base.argsDigest;

      // 3. The risk policy: a tool lacking the guards its risk requires — or declaring a risk that does not exist —
      //    never runs.
      // One reading of the risk and of each guard's name and kind decides the policy, shadow mode and the run alike.
      let plan: GuardPlan;
      try {
        plan = planGuards(riskPolicy, shadow, call.tool, toolName, guards as readonly Guard<never>[]);
      } catch (error) {
        return refuse('policy', new GateDenied('FORBIDDEN', describeThrown(error), { cause: error }));
      }
      const { risk, missing, shadowedRequired } = plan;
      if (missing.length > 0) {
        return refuse(
          'policy',
          new GateDenied(
            'FORBIDDEN',
            `'${toolName}' is ${risk} risk and lacks required guards: ${missing.join(', ')}`,
            { details: { missingGuardKinds: missing } },
          ),
        );
      }
      if (shadowedRequired.length > 0) {
        return refuse(
          'policy',
          new GateDenied(
            'FORBIDDEN',
            `'${toolName}' is ${risk} risk: the risk policy requires guards ${shadowedRequired.join(', ')} to be ` +
              'enforced; they cannot run in shadow mode',
            { details: { shadowedGuards: shadowedRequired } },
          ),
        );
      }

      // 4. The guards, in order; the first that does not allow ends the call. An abort settles the call at once, even
      //    while a guard that ignores the signal is still working.
      const credentials = new Map<string, unknown>();
      const contextFor = (guard: Guard<Args>, annotations: GuardAnnotations): GuardContext<Args> => ({
        session,
        tool: call.tool,
        args,
        argsDigest,
        callId,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
        setCredential: (key, value) => {
          if (typeof key !== 'string' || key.length === 0) {
            throw new TypeError(`guard '${guard.name}': credential key must be a non-empty string`);
          }
          credentials.set(key, value);
        },
        annotate: (facts) => {
          // Only these facts: a guard cannot rewrite who, what or which decision the event records.
          if (typeof facts?.approvalId === 'string') annotations.approvalId = facts.approvalId;
          if (typeof facts?.connection === 'string') annotations.connection = facts.connection;
          if (typeof facts?.reason === 'string') annotations.reason = redactSecrets(facts.reason);
        },
      });
      const runGuard = async (guard: Guard<Args>, shadowed: boolean): Promise<void> => {
        const phase = observation?.guardStart({ name: guard.name, kind: guard.kind, shadow: shadowed });
        const annotations: GuardAnnotations = {};
        let refusal: GateDenied | GateInterrupt | undefined;
        try {
          call.signal?.throwIfAborted();
          const check = () => Promise.resolve().then(() => guard.check(contextFor(guard, annotations)));
          const returned: unknown = await raceAbort(phase ? phase.run(check) : check(), call.signal);
          if (returned !== undefined) {
            // `return false` reads like a denial: a guard allows only by returning nothing.
            refusal = new GateDenied(
              'GUARD_FAILED',
              `guard '${guard.name}' returned ${describeReturned(returned)}; a guard allows by returning nothing and ` +
                'refuses by throwing GateDenied or GateInterrupt',
              { guard: guard.name },
            );
          }
        } catch (error) {
          refusal = attributeTo(guard.name, error, call.signal);
        }
        if (refusal === undefined) {
          phase?.end({ outcome: 'allow' });
          await record('guard', 'allow', {
            guard: guard.name,
            approvalId: annotations.approvalId,
            connection: annotations.connection,
            reason: annotations.reason,
            args: argsRecord.args,
          });
          return;
        }
        const interrupts = isInterruptCode(refusal.code);
        // Shadow mode: the refusal is on record and the call goes on. An aborted call still ends: that is no decision.
        if (shadowed && !call.signal?.aborted) {
          const outcome = interrupts ? 'would-interrupt' : 'would-deny';
          phase?.end({ outcome, code: refusal.code });
          await record('guard', outcome, { guard: guard.name, code: refusal.code, reason: refusal.message });
          return;
        }
        phase?.end({ outcome: interrupts ? 'interrupt' : 'deny', code: refusal.code });
        return refuse('guard', refusal, guard.name);
      };
      for (const [index, guard] of guards.entries()) await runGuard(guard, plan.shadowed[index] === true);
      // With no guard, the call still has a decision on record before anything runs.
      if (guards.length === 0)
        await record('policy', 'allow', { reason: 'no guards required', ...argsRecord });

      // 5. The tool, with the credentials in its call scope; one retry when a provider rejected a fresh token.
      const recordFailure = (error: unknown) =>
        recordOutcome(record, 'failed', {
          code: codeOf(error) ?? 'TOOL_ERROR',
          reason: redactSecrets(describeThrown(error)),
        });
      const attempt = async (retryable: boolean): Promise<Result> => {
        if (call.signal?.aborted) {
          return refuse(
            'execute',
            new GateDenied('GUARD_FAILED', `the call of '${toolName}' was aborted before the tool ran`, {
              cause: call.signal.reason,
            }),
          );
        }
        // The tool runs with exactly the arguments that were digested: a fresh snapshot of its own (so nothing a guard
        // still holds, such as a Date, can reach it), digested again.
        let toolArgs: Args;
        let unchanged: boolean;
        try {
          toolArgs = snapshotArgs(args);
          unchanged = digestArgs(toolArgs) === argsDigest;
        } catch {
          toolArgs = args;
          unchanged = false;
        }
        if (!unchanged) {
          return refuse(
            'execute',
            new GateDenied(
              'FORBIDDEN',
              `the arguments of '${toolName}' changed after they were validated and digested; the tool did not run`,
            ),
          );
        }
        // A context per attempt: the tool cannot change what it was given (the session view is frozen), and a retry
        // sees refreshed credentials.
        const executionContext: ExecutionContext = Object.freeze({
          session: sessionView,
          tool: toolName,
          callId,
          argsDigest,
          credentials: new Map(credentials),
          ...(call.signal === undefined ? {} : { signal: call.signal }),
        });
        const phase = observation?.executeStart({ attempt: retryable ? 1 : 2 });
        try {
          const running = () => runInCall(executionContext, async () => execute(toolArgs, executionContext));
          const result = await (phase ? phase.run(running) : running());
          phase?.end({ outcome: 'executed' });
          return result;
        } catch (error) {
          toolError = error;
          phase?.end({ outcome: 'failed', code: codeOf(error) ?? 'TOOL_ERROR' });
          // A rejected token on the first attempt is recorded by the retry (or failure) decision that follows.
          if (!(retryable && isConnectionTokenRejected(error))) await recordFailure(error);
          throw error;
        }
      };
      let result: Result;
      try {
        result = await attempt(true);
      } catch (error) {
        if (!isConnectionTokenRejected(error)) throw error;
        const recovering: { guard: Guard<Args>; shadowed: boolean }[] = [];
        for (const [index, guard] of guards.entries()) {
          if (!guard.recover) continue;
          let recovers: boolean;
          try {
            recovers = await raceAbort(
              Promise.resolve().then(() => guard.recover?.(contextFor(guard, {}), error) ?? false),
              call.signal,
            );
          } catch (recoverError) {
            await recordFailure(error);
            return refuse(
              'guard',
              new GateDenied(
                'GUARD_FAILED',
                `guard '${guard.name}' failed to recover: ${describeThrown(recoverError)}`,
                { guard: guard.name, cause: recoverError },
              ),
            );
          }
          if (recovers) recovering.push({ guard, shadowed: plan.shadowed[index] === true });
        }
        if (recovering.length === 0) {
          await recordFailure(error);
          throw error;
        }
        await record('execute', 'retry', {
          code: error.code,
          reason: error.message,
          connection: error.connection,
        });
        // The recovering guards decide again (audited as decisions); the tool runs once more only if they allow.
        for (const { guard, shadowed } of recovering) await runGuard(guard, shadowed);
        result = await attempt(false);
      }
      await recordOutcome(record, 'executed', NO_DECISION_FACTS);
      return result;
    };

    if (observation === undefined) return decide();
    try {
      const result = await decide();
      observation.end(runEndOf(base, { outcome: 'executed' }));
      return result;
    } catch (error) {
      observation.end(runEndOf(base, endOf(error, toolError)));
      throw error;
    }
  }

  async function recordOutcome(
    record: (phase: AuditPhase, outcome: AuditOutcome, extra?: DecisionFacts) => Promise<unknown>,
    outcome: AuditOutcome,
    extra: DecisionFacts,
  ): Promise<void> {
    // The tool already ran: its outcome event stays queued in the log rather than turning a done call into an error.
    try {
      await record('execute', outcome, extra);
    } catch (error) {
      // By marker and code, as everywhere in the gate: an audit log from another installed copy fails the same way.
      if (codeOf(error) !== 'AUDIT_FAILED') throw error;
      try {
        onAuditFailure?.(error as AuditFailed);
      } catch {
        // The callback's own failure must not turn a call that ran into an error.
      }
    }
  }

  return {
    run,
    assertPolicy,
    audit,
    protect,
    async close() {
      closing = true;
      // The calls already admitted finish first (their guards may still be waiting on the user): their outcome
      // events are stored before the log closes.
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      if (ownsAudit) await audit.close?.();
      else await audit?.flush();
    },
  };

  function protect<Args, Result, Input = Args>(
    tool: GatedTool<Args, Input>,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): GatedFunction<Input, Result> {
    if (typeof tool?.name !== 'string' || tool.name.length === 0) {
      throw new TypeError('gate.protect: tool.name must be a non-empty string');
    }
    if (!Array.isArray(guards)) throw new TypeError(`gate.protect(${tool.name}): guards must be an array`);
    for (const guard of guards) {
      if (!isWellFormedGuard(guard)) {
        throw new TypeError(
          `gate.protect(${tool.name}): every guard needs name, kind and check() (two non-empty strings and a function)`,
        );
      }
    }
    if (typeof execute !== 'function')
      throw new TypeError(`gate.protect(${tool.name}): execute must be a function`);
    assertPolicy(tool, guards as readonly Guard<never>[]);
    const frozenGuards = Object.freeze([...guards]);
    // The caller's input type is the schema's input; the gate validates it into `Args` before anything else.
    const gatedTool = tool as unknown as GatedTool<Args, unknown>;
    return (args, callOptions = {}) =>
      run<Args, Result>(
        {
          tool: gatedTool,
          args,
          ...(callOptions.callId === undefined ? {} : { callId: callOptions.callId }),
          ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
        },
        callOptions.session,
        frozenGuards,
        execute,
      );
  }
}

/** `agent: { id }` as given, checked: a string or any other shape is a TypeError, never silently dropped. */
function agentIdOf(agent: unknown): string | undefined {
  if (agent === undefined) return undefined;
  const id = typeof agent === 'object' && agent !== null ? (agent as { id?: unknown }).id : undefined;
  if (typeof id !== 'string' || id.length === 0) {
    throw new TypeError(
      `createGate: options.agent must be { id: string } (for example { id: 'support-bot' }), got ${typeof agent === 'string' ? `the string '${agent}'` : typeof agent}`,
    );
  }
  return id;
}

function toAuditLog(
  audit: AuditSink | AuditLog | false,
  now: (() => Date) | undefined,
): AuditLog | undefined {
  if (audit === false) return undefined;
  if (typeof (audit as AuditLog).append === 'function') return audit as AuditLog;
  if (typeof (audit as AuditSink).write === 'function') {
    return createAuditLog({ sink: audit as AuditSink, ...(now === undefined ? {} : { now }) });
  }
  throw new TypeError('createGate: options.audit must be an AuditSink, an AuditLog or false');
}

async function validateArgs<Args>(tool: GatedTool<Args, unknown>, raw: unknown): Promise<Args> {
  if (!tool.schema) return raw as Args;
  const result = await tool.schema['~standard'].validate(raw);
  if (result.issues) throw new ArgumentIssues(result.issues);
  return result.value;
}

class ArgumentIssues extends Error {
  readonly issues: readonly unknown[];
  constructor(issues: unknown) {
    super('arguments do not match the schema');
    this.issues =
      Array.isArray(issues) && issues.length > 0 ? issues : [{ message: 'the schema refused them' }];
  }
}

function describeIssue(issue: unknown): ArgumentIssue {
  try {
    const { path, message } = (issue ?? {}) as { path?: unknown; message?: unknown };
    const segments = Array.isArray(path) ? path : [];
    return {
      path: redactSecrets(
        segments
          .map((segment: unknown) =>
            describeThrown(
              typeof segment === 'object' && segment !== null ? (segment as { key?: unknown }).key : segment,
            ),
          )
          .join('.'),
      ),
      message: redactSecrets(typeof message === 'string' ? message : describeThrown(message)),
    };
  } catch {
    return { path: '', message: 'an issue that cannot be described' };
  }
}

function toInvalidArguments(tool: string, error: unknown): GateDenied<'INVALID_ARGUMENTS'> {
  // Paths and messages alike are redacted: `details.issues` reaches the model through `toJSON()`. Whatever shape a
  // schema library gives its issues, describing them never throws.
  const issues: ArgumentIssue[] =
    error instanceof ArgumentIssues
      ? error.issues.map(describeIssue)
      : [{ path: '', message: redactSecrets(describeThrown(error)) }];
  const summary = issues
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
  return new GateDenied('INVALID_ARGUMENTS', `invalid arguments for '${tool}': ${summary}`, {
    details: { issues },
    cause: error,
  });
}

/**
 * A guard's denial or interrupt keeps its code and its instance (also one from another installed copy of AgentGate);
 * anything else it throws denies the call as GUARD_FAILED.
 */
function attributeTo(
  guard: string,
  error: unknown,
  signal: AbortSignal | undefined,
): GateDenied | GateInterrupt {
  if (isGateDecision(error)) {
    // Named for the guard that threw it: set on the instance when it has no name yet; a shared or frozen decision
    // that names another guard is thrown as a copy, so no guard is blamed for another's refusal.
    if (error.guard === guard) return error;
    if (error.guard === undefined) {
      try {
        Object.defineProperty(error, 'guard', { value: guard, enumerable: true });
        return error;
      } catch {
        // Frozen: fall through to a copy.
      }
    }
    return copyFor(guard, error);
  }
  if (signal?.aborted && error === signal.reason) {
    return new GateDenied('GUARD_FAILED', `the call was aborted while guard '${guard}' was deciding`, {
      guard,
      cause: error,
    });
  }
  return new GateDenied('GUARD_FAILED', `guard '${guard}' failed: ${describeThrown(error)}`, {
    guard,
    cause: error,
  });
}

function copyFor(guard: string, decision: AnyGateDenied | AnyGateInterrupt): GateDenied | GateInterrupt {
  const options = { guard, details: decision.details, cause: decision } as never;
  return isInterruptCode(decision.code)
    ? new GateInterrupt(decision.code, decision.message, options)
    : new GateDenied(decision.code, decision.message, options);
}

/** The `code` of an AgentGate error (from any installed copy), read without ever throwing. */
function codeOf(error: unknown): string | undefined {
  try {
    return AgentGateError.isInstance(error) && typeof error.code === 'string' ? error.code : undefined;
  } catch {
    return undefined;
  }
}

function isWellFormedGuard(guard: unknown): boolean {
  try {
    const candidate = guard as Partial<Guard>;
    return (
      typeof candidate?.name === 'string' &&
      candidate.name.length > 0 &&
      typeof candidate.kind === 'string' &&
      typeof candidate.check === 'function'
    );
  } catch {
    return false;
  }
}

function describeReturned(value: unknown): string {
  return typeof value === 'boolean' || typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

/** What `record` returns when the gate records nothing (`audit: false`). */
const NOTHING_TO_RECORD: Promise<unknown> = Promise.resolve();

/** The facts of a decision that adds none to those of its call. */
const NO_DECISION_FACTS: DecisionFacts = Object.freeze({});

/** Marks "the tool threw nothing" (a tool may throw `undefined`). */
const NOTHING_THROWN: unique symbol = Symbol('nothing thrown');

/** The tool's declared risk, read without ever throwing. */
function riskOf(tool: unknown): unknown {
  try {
    return (tool as { risk?: unknown } | undefined)?.risk;
  } catch {
    return undefined;
  }
}

/** How a call that threw ended, for observers: the tool failed, a decision refused it, or the gate could not go on. */
function endOf(error: unknown, toolError: unknown): Pick<ObservedRunEnd, 'outcome' | 'code' | 'guard'> {
  if (error === toolError) return { outcome: 'failed', code: codeOf(error) ?? 'TOOL_ERROR' };
  if (isGateDecision(error)) {
    return {
      outcome: isInterruptCode(error.code) ? 'interrupt' : 'deny',
      code: error.code,
      ...(typeof error.guard === 'string' ? { guard: error.guard } : {}),
    };
  }
  const code = codeOf(error);
  return { outcome: 'error', ...(code === undefined ? {} : { code }) };
}

/** The end of a call with the session facts and digest the gate resolved before it ended. */
function runEndOf(
  base: Partial<Pick<AuditEventDraft, 'sessionId' | 'sub' | 'tenant' | 'argsDigest'>>,
  end: Pick<ObservedRunEnd, 'outcome' | 'code' | 'guard'>,
): ObservedRunEnd {
  return {
    ...end,
    ...(base.sessionId === undefined ? {} : { sessionId: base.sessionId }),
    ...(base.sub === undefined ? {} : { sub: base.sub }),
    ...(base.tenant === undefined ? {} : { tenant: base.tenant }),
    ...(base.argsDigest === undefined ? {} : { argsDigest: base.argsDigest }),
  };
}
