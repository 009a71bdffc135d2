import { randomUUID } from 'node:crypto';
import { raceAbort } from './abort';
import { snapshotArgs } from './args-snapshot';
import { type AuditLog, type AuditSink, createAuditLog } from './audit/audit-log';
import type { AuditEventDraft, AuditOutcome, AuditPhase } from './audit/event';
import { type ExecutionContext, runInCall } from './call-context';
import { digestArgs } from './digest';
import {
  AgentGateError,
  type ArgumentIssue,
  type AuditFailed,
  GateDenied,
  type GateInterrupt,
  isConnectionTokenRejected,
  isGateDecision,
  isInterruptCode,
} from './errors';
import type { Guard, GuardAnnotations, GuardContext, ToolDescriptor } from './guard';
import { assertKnownOptions } from './options';
import { redactSecrets, redactValue } from './redact';
import { defaultRiskPolicy, missingGuardKinds, type RiskPolicy, validateRiskPolicy } from './risk-policy';
import { type AgentSession, currentSession, toSessionView } from './session';
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
   * Stores queued audit events and closes the log the gate built from the sink it was given; later calls then fail
   * closed with `AUDIT_FAILED`. A log passed in as `audit` is only flushed: it is the caller's to close. Idempotent.
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
const GATE_OPTIONS = ['audit', 'agent', 'riskPolicy', 'recordArgs', 'onAuditFailure', 'now'] as const;

export function createGate(options: GateOptions): Gate {
  if (typeof options !== 'object' || options === null || !('audit' in options)) {
    throw new TypeError('createGate: options.audit is required (a sink such as jsonlAudit(path), or false)');
  }
  assertKnownOptions('createGate', options, GATE_OPTIONS);
  const agent = agentIdOf(options.agent);
  if (options.recordArgs !== undefined && typeof options.recordArgs !== 'boolean') {
    throw new TypeError('createGate: options.recordArgs must be a boolean');
  }
  for (const name of ['onAuditFailure', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`createGate: options.${name} must be a function`);
    }
  }
  const riskPolicy = validateRiskPolicy(options.riskPolicy ?? defaultRiskPolicy);
  const audit = toAuditLog(options.audit, options.now);
  const ownsAudit = audit !== undefined && audit !== options.audit;
  const recordArgs = options.recordArgs ?? false;
  const onAuditFailure = options.onAuditFailure;

  function assertPolicy(tool: ToolDescriptor, guards: readonly Guard<never>[]): void {
    const missing = missingGuardKinds(riskPolicy, tool, guards);
    if (missing.length > 0) {
      throw new TypeError(
        `tool '${tool.name}' is ${tool.risk ?? 'low'} risk and the risk policy requires guards of kind: ${missing.join(', ')}`,
      );
    }
  }

  async function run<Args, Result>(
    call: GateCall<Args>,
    explicitSession: AgentSession | undefined,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): Promise<Result> {
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
    const record = async (
      phase: AuditPhase,
      outcome: AuditOutcome,
      extra: Partial<AuditEventDraft> = {},
    ): Promise<void> => {
      if (audit) await audit.append({ ...base, ...extra, phase, outcome });
    };
    const refuse = async (phase: AuditPhase, error: GateDenied | GateInterrupt): Promise<never> => {
      await record(phase, isInterruptCode(error.code) ? 'interrupt' : 'deny', {
        ...(error.guard === undefined ? {} : { guard: error.guard }),
        code: error.code,
        reason: error.message,
      });
      throw error;
    };

    // 1. The session: explicit, else the async context. Never from the arguments.
    const session = explicitSession ?? currentSession();
    if (!session) {
      return refuse('session', new GateDenied('NO_SESSION', `no session for the call of '${toolName}'`));
    }
    Object.assign(base, {
      sessionId: session.id,
      sub: session.user.sub,
      ...(session.tenant === undefined ? {} : { tenant: session.tenant }),
    });

    // 2. The arguments, validated before any guard sees them, then frozen into the one copy that is digested, read by
    //    the guards and given to the tool. Recording them (redacted) is part of this fail-closed step.
    let args: Args;
    let argsRecord: { args?: unknown } = {};
    try {
      args = snapshotArgs(await validateArgs(call.tool, call.args));
      base.argsDigest = digestArgs(args);
      if (recordArgs) argsRecord = { args: redactValue(args) };
    } catch (error) {
      return refuse('validate', toInvalidArguments(toolName, error));
    }
    const argsDigest = base.argsDigest;

    // 3. The risk policy: a tool lacking the guards its risk requires — or declaring a risk that does not exist —
    //    never runs.
    let missing: string[];
    try {
      missing = missingGuardKinds(riskPolicy, call.tool, guards);
    } catch (error) {
      return refuse('policy', new GateDenied('FORBIDDEN', describeThrown(error), { cause: error }));
    }
    if (missing.length > 0) {
      return refuse(
        'policy',
        new GateDenied(
          'FORBIDDEN',
          `'${toolName}' is ${call.tool.risk} risk and lacks required guards: ${missing.join(', ')}`,
          { details: { missingGuardKinds: missing } },
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
    const runGuard = async (guard: Guard<Args>): Promise<void> => {
      const annotations: GuardAnnotations = {};
      try {
        call.signal?.throwIfAborted();
        await raceAbort(
          Promise.resolve().then(() => guard.check(contextFor(guard, annotations))),
          call.signal,
        );
      } catch (error) {
        return refuse('guard', attributeTo(guard.name, error, call.signal));
      }
      await record('guard', 'allow', { guard: guard.name, ...annotations, ...argsRecord });
    };
    for (const guard of guards) await runGuard(guard);
    // With no guard, the call still has a decision on record before anything runs.
    if (guards.length === 0) await record('policy', 'allow', { reason: 'no guards required', ...argsRecord });

    // 5. The tool, with the credentials in its call scope; one retry when a provider rejected a fresh token.
    const recordFailure = (error: unknown) =>
      recordOutcome(record, 'failed', {
        code: AgentGateError.isInstance(error) ? error.code : 'TOOL_ERROR',
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
      // The tool runs with exactly the arguments that were digested: a value the snapshot could not freeze (a class
      // instance) is checked again here.
      let unchanged: boolean;
      try {
        unchanged = digestArgs(args) === argsDigest;
      } catch {
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
      // A snapshot per attempt: the tool cannot change what it was given, and a retry sees refreshed credentials.
      const executionContext: ExecutionContext = Object.freeze({
        session: toSessionView(session),
        tool: toolName,
        callId,
        argsDigest,
        credentials: new Map(credentials),
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
      try {
        return await runInCall(executionContext, async () => execute(args, executionContext));
      } catch (error) {
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
      const recovering: Guard<Args>[] = [];
      for (const guard of guards) {
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
        if (recovers) recovering.push(guard);
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
      for (const guard of recovering) await runGuard(guard);
      result = await attempt(false);
    }
    await recordOutcome(record, 'executed', {});
    return result;
  }

  async function recordOutcome(
    record: (phase: AuditPhase, outcome: AuditOutcome, extra?: Partial<AuditEventDraft>) => Promise<void>,
    outcome: AuditOutcome,
    extra: Partial<AuditEventDraft>,
  ): Promise<void> {
    // The tool already ran: its outcome event stays queued in the log rather than turning a done call into an error.
    try {
      await record('execute', outcome, extra);
    } catch (error) {
      // By marker and code, as everywhere in the gate: an audit log from another installed copy fails the same way.
      if (!(AgentGateError.isInstance(error) && error.code === 'AUDIT_FAILED')) throw error;
      onAuditFailure?.(error as AuditFailed);
    }
  }

  return {
    run,
    assertPolicy,
    audit,
    protect,
    async close() {
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
      if (typeof guard?.check !== 'function' || typeof guard.kind !== 'string') {
        throw new TypeError(`gate.protect(${tool.name}): every guard needs name, kind and check()`);
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
  constructor(readonly issues: readonly StandardSchemaV1.Issue[]) {
    super('arguments do not match the schema');
  }
}

function toInvalidArguments(tool: string, error: unknown): GateDenied<'INVALID_ARGUMENTS'> {
  // Paths and messages alike are redacted: `details.issues` reaches the model through `toJSON()`.
  const issues: ArgumentIssue[] =
    error instanceof ArgumentIssues
      ? error.issues.map((issue) => ({
          path: redactSecrets(
            (issue.path ?? [])
              .map((segment) => describeThrown(typeof segment === 'object' ? segment.key : segment))
              .join('.'),
          ),
          message: redactSecrets(describeThrown(issue.message)),
        }))
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
    if (error.guard === undefined) Object.defineProperty(error, 'guard', { value: guard, enumerable: true });
    return error;
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
