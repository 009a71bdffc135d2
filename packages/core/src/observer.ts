import type { AuditEvent } from './audit/event';

/** A call the gate admitted, as an observer first sees it. */
export interface ObservedRun {
  readonly tool: string;
  /** The framework's tool-call id, or the random one the gate chose. */
  readonly callId: string;
  /** The tool's declared risk, as declared (the gate checks it later). */
  readonly risk?: unknown;
  /** `options.agent.id` of the gate. */
  readonly agent?: string;
}

/** A guard about to decide. */
export interface ObservedGuard {
  readonly name: string;
  readonly kind: string;
  /** Whether the gate runs it in shadow mode: its refusal is recorded as `would-deny` / `would-interrupt` only. */
  readonly shadow: boolean;
}

/** One run of the tool body: `1`, or `2` after a rejected connection token was recovered. */
export interface ObservedExecution {
  readonly attempt: number;
}

/** How a guard or the tool body ended. Codes only: never a message, an argument or a credential. */
export interface ObservedPhaseEnd {
  /**
   * A guard: `allow`, `deny`, `interrupt`, or in shadow mode `would-deny` / `would-interrupt` (the call went on). The
   * tool: `executed`, or `failed` when it threw.
   */
  readonly outcome: 'allow' | 'deny' | 'interrupt' | 'would-deny' | 'would-interrupt' | 'executed' | 'failed';
  /** The error code of a refusal or failure (`TOOL_ERROR` when the tool threw something without one). */
  readonly code?: string;
}

/** How a call ended, with the session facts the gate resolved (absent when it ended before the session). */
export interface ObservedRunEnd {
  /**
   * `executed`: the tool ran and returned. `failed`: the tool threw. `deny` / `interrupt`: a decision refused the call.
   * `error`: the gate could not go on (`AUDIT_FAILED`: a decision could not be recorded).
   */
  readonly outcome: 'executed' | 'failed' | 'deny' | 'interrupt' | 'error';
  readonly code?: string;
  /** The guard that refused the call. */
  readonly guard?: string;
  readonly sessionId?: string;
  readonly sub?: string;
  readonly tenant?: string;
  /** `digestArgs(args)` once the arguments were validated; a digest, never the arguments. */
  readonly argsDigest?: string;
}

/**
 * What an observer follows of one phase (a guard's check, or one run of the tool body). Its hooks may not change
 * anything: their errors are caught and reported to the gate's `onObserverError`.
 */
export interface PhaseObservation {
  /**
   * Runs the phase's work within the observer's context (for OpenTelemetry: with this phase's span active, so spans
   * the guard or tool starts become its children). Must call `work` once and return what it returns; whatever it
   * does instead, the gate runs `work` exactly once and keeps its result.
   */
  runInContext?<T>(work: () => T): T;
  /** The phase ended. */
  end?(result: ObservedPhaseEnd): void;
}

/** An audit event as observers hear it: every field the gate stored but the arguments. */
export type ObservedAuditEvent = Readonly<Omit<AuditEvent, 'args'>>;

/** What an observer follows of one call, from {@link GateObserver.onRunStart}. */
export interface RunObservation {
  /** A guard is about to decide. */
  onGuardStart?(guard: ObservedGuard): PhaseObservation | undefined;
  /** The tool body is about to run. */
  onExecuteStart?(execution: ObservedExecution): PhaseObservation | undefined;
  /**
   * The gate stored an audit event of this call (the decision is on record): a frozen copy of it without `args` (the
   * arguments a gate with `recordArgs: true` stores); its `reason` is as stored (redacted).
   */
  onAuditEvent?(event: ObservedAuditEvent): void;
  /** The call settled. */
  onRunEnd?(result: ObservedRunEnd): void;
}

/**
 * Follows calls through the gate: `createGate({ observers: [observer] })`. `@agentgate/otel` builds one that turns
 * calls into OpenTelemetry spans. Observers see tool names, guard names and kinds, outcomes, codes, session facts and
 * digests, never arguments, credentials or tokens; they cannot change a decision (their errors are caught and
 * reported to `onObserverError`). A gate without observers does none of this work.
 *
 * @example
 * const counter: GateObserver = {
 *   onRunStart: ({ tool }) => ({ onRunEnd: ({ outcome }) => metrics.count(tool, outcome) }),
 * };
 */
export interface GateObserver {
  /** A call was admitted; returns what to follow of it (or nothing). */
  onRunStart(run: ObservedRun): RunObservation | undefined;
}

/** What {@link GateOptions.onObserverError} hears: which hook of which observer threw what. */
export interface ObserverFailure {
  /** The index of the observer in `options.observers`. */
  readonly observer: number;
  readonly hook: string;
  readonly error: unknown;
}

type Report = (failure: ObserverFailure) => void;

/** Internal: the gate's side of every observer of one call. Each hook is caught; none changes the call. */
export interface CallObservation {
  guardStart(guard: ObservedGuard): PhaseHandle;
  executeStart(execution: ObservedExecution): PhaseHandle;
  auditEvent(event: AuditEvent): void;
  end(result: ObservedRunEnd): void;
}

/** Internal: the gate's side of one phase. */
export interface PhaseHandle {
  run<T>(work: () => T): T;
  end(result: ObservedPhaseEnd): void;
}

/** Internal: starts observing a call; `undefined` when no observer follows it. */
export function observeRun(
  observers: readonly GateObserver[],
  run: ObservedRun,
  report: Report,
): CallObservation | undefined {
  const followed: { index: number; observation: RunObservation }[] = [];
  for (const [index, observer] of observers.entries()) {
    const observation = attempt(report, index, 'onRunStart', () => observer.onRunStart(run));
    if (typeof observation === 'object' && observation !== null) followed.push({ index, observation });
  }
  if (followed.length === 0) return undefined;
  const phase = (hook: 'onGuardStart' | 'onExecuteStart', info: ObservedGuard | ObservedExecution) => {
    const phases: { index: number; phase: PhaseObservation }[] = [];
    for (const { index, observation } of followed) {
      const started = attempt(report, index, hook, () =>
        (observation[hook] as ((info: unknown) => PhaseObservation | undefined) | undefined)?.call(
          observation,
          info,
        ),
      );
      if (typeof started === 'object' && started !== null) phases.push({ index, phase: started });
    }
    return phaseHandle(phases, report);
  };
  return {
    guardStart: (guard) => phase('onGuardStart', guard),
    executeStart: (execution) => phase('onExecuteStart', execution),
    auditEvent(event) {
      // Never the arguments, and frozen: no observer can change what a sink may still hold (the event is stored by
      // now, so freezing it in place costs no copy). What a foreign log answered instead of an event is heard by no
      // one, and never fails the call.
      if (typeof event !== 'object' || event === null) return;
      const observed: ObservedAuditEvent = Object.freeze(
        event.args === undefined ? event : withoutArgs(event),
      );
      for (const { index, observation } of followed) {
        attempt(report, index, 'onAuditEvent', () => observation.onAuditEvent?.(observed));
      }
    },
    end(result) {
      for (const { index, observation } of followed) {
        attempt(report, index, 'onRunEnd', () => observation.onRunEnd?.(result));
      }
    },
  };
}

function withoutArgs(event: AuditEvent): Omit<AuditEvent, 'args'> {
  const { args: _args, ...rest } = event;
  return rest;
}

function phaseHandle(phases: { index: number; phase: PhaseObservation }[], report: Report): PhaseHandle {
  return {
    run(work) {
      // Innermost first: the first observer's context is the outermost.
      let wrapped = work;
      for (let position = phases.length - 1; position >= 0; position--) {
        const { index, phase } = phases[position]!;
        if (typeof phase.runInContext === 'function') wrapped = runOnce(wrapped, phase, index, report);
      }
      return wrapped();
    },
    end(result) {
      for (const { index, phase } of phases) attempt(report, index, 'end', () => phase.end?.(result));
    },
  };
}

/**
 * `work` inside the observer's `runInContext`, such that the observer can neither skip it, run it twice, nor change
 * what it returns or throws.
 */
function runOnce<T>(work: () => T, phase: PhaseObservation, index: number, report: Report): () => T {
  return () => {
    let settled: { value: T } | { error: unknown } | undefined;
    const inner = (): T => {
      if (settled !== undefined) throw new TypeError('runInContext called its work twice');
      try {
        const value = work();
        settled = { value };
        return value;
      } catch (error) {
        settled = { error };
        throw error;
      }
    };
    try {
      phase.runInContext?.(inner);
    } catch (error) {
      if (settled === undefined || !('error' in settled) || settled.error !== error) {
        report({ observer: index, hook: 'runInContext', error });
      }
    }
    if (settled === undefined) {
      report({
        observer: index,
        hook: 'runInContext',
        error: new TypeError('runInContext did not call its work'),
      });
      return work();
    }
    if ('error' in settled) throw settled.error;
    return settled.value;
  };
}

function attempt<T>(report: Report, index: number, hook: string, call: () => T): T | undefined {
  try {
    return call();
  } catch (error) {
    report({ observer: index, hook, error });
    return undefined;
  }
}

/** Internal: the gate's report function: the caller's hook, itself caught; without one, failures are dropped. */
export function observerErrorReporter(
  onObserverError: ((failure: ObserverFailure) => void) | undefined,
): Report {
  return (failure) => {
    if (onObserverError === undefined) return;
    try {
      onObserverError(failure);
    } catch {
      // A failing report hook is dropped too: observers never change a call.
    }
  };
}

/** Internal: validates `options.observers`. @throws TypeError */
export function validateObservers(observers: unknown): readonly GateObserver[] {
  if (observers === undefined) return [];
  if (!Array.isArray(observers)) throw new TypeError('createGate: options.observers must be an array');
  for (const [index, observer] of observers.entries()) {
    if (typeof (observer as Partial<GateObserver> | null)?.onRunStart !== 'function') {
      throw new TypeError(
        `createGate: options.observers[${index}] must have onRunStart() (got ${observer === null ? 'null' : typeof observer})`,
      );
    }
  }
  return Object.freeze([...observers]);
}
