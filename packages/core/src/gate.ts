import { randomUUID } from 'node:crypto';
import { type AuditLog, type AuditSink, createAuditLog } from './audit/audit-log';
import type { AuditEventDraft, AuditOutcome, AuditPhase } from './audit/event';
import { type ExecutionContext, runInCall } from './call-context';
import { digestArgs } from './digest';
import {
  AgentGateError,
  type AuditFailed,
  GateDenied,
  type GateInterrupt,
  isConnectionTokenRejected,
  isGateDecision,
  isInterruptCode,
} from './errors';
import type { Guard, GuardAnnotations, GuardContext, ToolDescriptor } from './guard';
import { redactSecrets, redactValue } from './redact';
import { defaultRiskPolicy, missingGuardKinds, type RiskPolicy, validateRiskPolicy } from './risk-policy';
import { type AgentSession, currentSession, toSessionView } from './session';
import type { StandardSchemaV1 } from './standard-schema';

/** A tool as the gate sees it: descriptor plus, optionally, the schema its arguments must satisfy. */
export interface GatedTool<Args = unknown> extends ToolDescriptor {
  /** Any Standard Schema (zod 4, valibot, arktype). Arguments failing it never reach a guard. */
  readonly schema?: StandardSchemaV1<unknown, Args>;
}

/** One call of a tool, as the model asked for it. */
export interface GateCall<Args = unknown> {
  tool: GatedTool<Args>;
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

/** A tool body behind the gate, as returned by {@link Gate.protect}. */
export type GatedFunction<Args, Result> = (args: Args, options?: GatedCallOptions) => Promise<Result>;

export interface GateOptions {
  /** Where decisions are recorded: a sink (`jsonlAudit(path)`, `memoryAudit()`) or a log; `false` to record nothing. */
  audit: AuditSink | AuditLog | false;
  /** Names the agent in audit events. */
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
   * @throws TypeError when the tool or guards are malformed or the risk policy is not satisfied
   */
  protect<Args, Result>(
    tool: GatedTool<Args>,
    guards: readonly Guard<NoInfer<Args>>[],
    execute: ToolExecute<Args, Result>,
  ): GatedFunction<Args, Result>;
  /** @throws TypeError when `guards` do not satisfy the risk policy for `tool`. */
  assertPolicy(tool: ToolDescriptor, guards: readonly Guard<never>[]): void;
  /** The audit log, or `undefined` when created with `audit: false`. */
  readonly audit: AuditLog | undefined;
}

/**
 * Creates the gate every tool call of an agent passes through.
 *
 * @example
 * const gate = createGate({ audit: jsonlAudit('audit.jsonl') });
 * const listEvents = gate.protect({ name: 'list_events', schema }, [requireScopes('calendar:read')], run);
 */
export function createGate(options: GateOptions): Gate {
  if (options === undefined || !('audit' in options)) {
    throw new TypeError('createGate: options.audit is required (a sink such as jsonlAudit(path), or false)');
  }
  const riskPolicy = validateRiskPolicy(options.riskPolicy ?? defaultRiskPolicy);
  const audit = toAuditLog(options.audit, options.now);
  const recordArgs = options.recordArgs ?? false;
  const agent = options.agent?.id;

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
    const base: Pick<
      AuditEventDraft,
      'tool' | 'callId' | 'agent' | 'sessionId' | 'sub' | 'tenant' | 'argsDigest'
    > = {
      tool: call.tool.name,
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
      return refuse(
        'session',
        new GateDenied('NO_SESSION', `no session for the call of '${call.tool.name}'`),
      );
    }
    Object.assign(base, {
      sessionId: session.id,
      sub: session.user.sub,
      ...(session.tenant === undefined ? {} : { tenant: session.tenant }),
    });

    // 2. The arguments, validated before any guard sees them.
    let args: Args;
    try {
      args = await validateArgs(call.tool, call.args);
      base.argsDigest = digestArgs(args);
    } catch (error) {
      return refuse('validate', toInvalidArguments(call.tool.name, error));
    }
    const argsRecord = recordArgs ? { args: redactValue(args) } : {};

    // 3. The risk policy: a tool lacking the guards its risk requires never runs.
    const missing = missingGuardKinds(riskPolicy, call.tool, guards);
    if (missing.length > 0) {
      return refuse(
        'policy',
        new GateDenied(
          'FORBIDDEN',
          `'${call.tool.name}' is ${call.tool.risk} risk and lacks required guards: ${missing.join(', ')}`,
          { details: { missingGuardKinds: missing } },
        ),
      );
    }

    // 4. The guards, in order; the first that does not allow ends the call.
    const credentials = new Map<string, unknown>();
    const contextFor = (guard: Guard<Args>, annotations: GuardAnnotations): GuardContext<Args> => ({
      session,
      tool: call.tool,
      args,
      argsDigest: base.argsDigest!,
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
        await guard.check(contextFor(guard, annotations));
      } catch (error) {
        return refuse('guard', attributeTo(guard.name, error));
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
        reason: redactSecrets(error instanceof Error ? error.message : String(error)),
      });
    const attempt = async (retryable: boolean): Promise<Result> => {
      if (call.signal?.aborted) {
        return refuse(
          'execute',
          new GateDenied('GUARD_FAILED', `the call of '${call.tool.name}' was aborted before the tool ran`, {
            cause: call.signal.reason,
          }),
        );
      }
      // A snapshot per attempt: the tool cannot change what it was given, and a retry sees refreshed credentials.
      const executionContext: ExecutionContext = Object.freeze({
        session: toSessionView(session),
        tool: call.tool.name,
        callId,
        argsDigest: base.argsDigest!,
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
          recovers = await guard.recover(contextFor(guard, {}), error);
        } catch (recoverError) {
          await recordFailure(error);
          const message = recoverError instanceof Error ? recoverError.message : String(recoverError);
          return refuse(
            'guard',
            new GateDenied('GUARD_FAILED', `guard '${guard.name}' failed to recover: ${message}`, {
              guard: guard.name,
              cause: recoverError,
            }),
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
      options.onAuditFailure?.(error as AuditFailed);
    }
  }

  return {
    run,
    assertPolicy,
    audit,
    protect(tool, guards, execute) {
      if (typeof tool?.name !== 'string' || tool.name.length === 0) {
        throw new TypeError('gate.protect: tool.name must be a non-empty string');
      }
      for (const guard of guards) {
        if (typeof guard?.check !== 'function' || typeof guard.kind !== 'string') {
          throw new TypeError(`gate.protect(${tool.name}): every guard needs name, kind and check()`);
        }
      }
      if (typeof execute !== 'function')
        throw new TypeError(`gate.protect(${tool.name}): execute must be a function`);
      assertPolicy(tool, guards as readonly Guard<never>[]);
      const frozenGuards = Object.freeze([...guards]);
      return (args, callOptions = {}) =>
        run(
          {
            tool,
            args,
            ...(callOptions.callId === undefined ? {} : { callId: callOptions.callId }),
            ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
          },
          callOptions.session,
          frozenGuards,
          execute,
        );
    },
  };
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

async function validateArgs<Args>(tool: GatedTool<Args>, raw: unknown): Promise<Args> {
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

function toInvalidArguments(tool: string, error: unknown): GateDenied {
  const issues =
    error instanceof ArgumentIssues
      ? error.issues.map((issue) => ({
          path: (issue.path ?? [])
            .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
            .join('.'),
          message: redactSecrets(issue.message),
        }))
      : [{ path: '', message: error instanceof Error ? error.message : String(error) }];
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
function attributeTo(guard: string, error: unknown): GateDenied | GateInterrupt {
  if (isGateDecision(error)) {
    if (error.guard === undefined) Object.defineProperty(error, 'guard', { value: guard, enumerable: true });
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GateDenied('GUARD_FAILED', `guard '${guard}' failed: ${message}`, { guard, cause: error });
}
