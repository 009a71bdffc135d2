import {
  assertKnownOptions,
  type GateObserver,
  isRisk,
  type ObservedAuditEvent,
  type ObservedPhaseEnd,
  type ObservedRunEnd,
  type PhaseObservation,
  type RunObservation,
} from '@agentgate/core';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTRIBUTE, auditAttributes } from './internal/attributes';
import { type SubjectHashing, subjectMapper } from './subject-hash';

/** The name and version the observer's tracer reports by default. */
export const INSTRUMENTATION_NAME = '@agentgate/otel';
export const INSTRUMENTATION_VERSION = '0.1.0';

/**
 * A log record as the observer emits it. Any `Logger` of `@opentelemetry/api-logs` (`logs.getLogger(name)`) accepts
 * it; the type is spelled out here so that the package does not require `@opentelemetry/api-logs`.
 */
export interface AuditLogRecord {
  eventName: string;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes: Attributes;
  context: Context;
}

/** Where audit events go as log records: a `Logger` of `@opentelemetry/api-logs`. */
export interface AuditLogEmitter {
  emit(record: AuditLogRecord): void;
}

/** Options of {@link createOpenTelemetryObserver}. */
export interface OpenTelemetryObserverOptions {
  /** @default trace.getTracer('@agentgate/otel', version): whatever provider is registered globally (none: no-op) */
  tracer?: Tracer;
  /**
   * Where audit events go as log records, e.g. `logs.getLogger('agentgate')` from `@opentelemetry/api-logs`. Without
   * one, each audit event becomes an event on the call's span. `false`: audit events are not exported at all.
   */
  auditLogger?: AuditLogEmitter | false;
  /** How the session's `sub` is written. @default false (as it is); `{ key }` (HMAC) is recommended. */
  hashSubject?: SubjectHashing;
}

const OPTIONS = ['tracer', 'auditLogger', 'hashSubject'] as const;

/** Severity numbers of OpenTelemetry's log data model (INFO, WARN). */
const INFO = 9;
const WARN = 13;
const WARNING_OUTCOMES = new Set([
  'deny',
  'interrupt',
  'would-deny',
  'would-interrupt',
  'failed',
  'denied',
  'expired',
]);

/**
 * A gate observer that turns every call into OpenTelemetry spans: one span per `gate.run` (`agentgate.run <tool>`),
 * a child per guard (`agentgate.guard <name>`) and one for the tool (`execute_tool <tool>`, the GenAI semantic
 * conventions' name); guard checks and the tool run with their span active, so spans they start (HTTP, database)
 * become its children. Audit events the gate writes go out as log records (with `auditLogger`) or span events.
 *
 * Attributes carry tool, call id, outcome, code, guard, session id, `sub` (hashed when configured) and tenant — never
 * arguments, reasons, credentials or tokens. Without a registered OpenTelemetry SDK every span is a no-op.
 *
 * @example
 * import { logs } from '@opentelemetry/api-logs';
 * const gate = createGate({
 *   audit: jsonlAudit('audit.jsonl'),
 *   observers: [createOpenTelemetryObserver({ auditLogger: logs.getLogger('agentgate'), hashSubject: { key } })],
 * });
 * @throws TypeError when an option is unknown or malformed
 */
export function createOpenTelemetryObserver(options: OpenTelemetryObserverOptions = {}): GateObserver {
  assertKnownOptions('createOpenTelemetryObserver', options, OPTIONS);
  if (options.tracer !== undefined && typeof options.tracer?.startSpan !== 'function') {
    throw new TypeError('createOpenTelemetryObserver: options.tracer must be an OpenTelemetry Tracer');
  }
  const auditLogger = options.auditLogger;
  if (auditLogger !== undefined && auditLogger !== false && typeof auditLogger?.emit !== 'function') {
    throw new TypeError(
      "createOpenTelemetryObserver: options.auditLogger must be a Logger (logs.getLogger('agentgate')) or false",
    );
  }
  const mapSubject = subjectMapper(options.hashSubject);
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);

  return {
    onRunStart(run): RunObservation {
      const parent = context.active();
      const attributes: Attributes = { [ATTRIBUTE.tool]: run.tool, [ATTRIBUTE.callId]: run.callId };
      if (typeof run.agent === 'string') attributes[ATTRIBUTE.agent] = run.agent;
      if (isRisk(run.risk)) attributes[ATTRIBUTE.risk] = run.risk;
      const runSpan = tracer.startSpan(
        `agentgate.run ${run.tool}`,
        { kind: SpanKind.INTERNAL, attributes },
        parent,
      );
      const runContext = trace.setSpan(parent, runSpan);
      const phase = (span: Span): PhaseObservation => {
        const phaseContext = trace.setSpan(runContext, span);
        return {
          runInContext: (work) => context.with(phaseContext, work),
          end: (result) => endPhase(span, result),
        };
      };
      return {
        onGuardStart: (guard) =>
          phase(
            tracer.startSpan(
              `agentgate.guard ${guard.name}`,
              {
                kind: SpanKind.INTERNAL,
                attributes: {
                  [ATTRIBUTE.guard]: guard.name,
                  [ATTRIBUTE.guardKind]: guard.kind,
                  [ATTRIBUTE.shadow]: guard.shadow,
                },
              },
              runContext,
            ),
          ),
        onExecuteStart: (execution) =>
          phase(
            tracer.startSpan(
              `execute_tool ${run.tool}`,
              {
                kind: SpanKind.INTERNAL,
                attributes: {
                  'gen_ai.operation.name': 'execute_tool',
                  'gen_ai.tool.name': run.tool,
                  'gen_ai.tool.call.id': run.callId,
                  [ATTRIBUTE.attempt]: execution.attempt,
                },
              },
              runContext,
            ),
          ),
        onAuditEvent: (event) => exportAuditEvent(event, runSpan, runContext),
        onRunEnd: (result) => endRun(runSpan, result),
      };
    },
  };

  function exportAuditEvent(event: ObservedAuditEvent, runSpan: Span, runContext: Context): void {
    if (auditLogger === false) return;
    const attributes = auditAttributes(event, mapSubject);
    if (auditLogger === undefined) {
      runSpan.addEvent('agentgate.audit', attributes);
      return;
    }
    const warning = WARNING_OUTCOMES.has(event.outcome);
    auditLogger.emit({
      eventName: 'agentgate.audit',
      severityNumber: warning ? WARN : INFO,
      severityText: warning ? 'WARN' : 'INFO',
      body: `${event.phase} ${event.outcome}${event.code === undefined ? '' : ` ${event.code}`}: ${event.tool}`,
      attributes,
      context: runContext,
    });
  }

  function endRun(span: Span, result: ObservedRunEnd): void {
    // Ended whatever happens (a `hashSubject` function that throws): a span never ended is never exported.
    try {
      span.setAttribute(ATTRIBUTE.outcome, result.outcome);
      if (result.code !== undefined) span.setAttribute(ATTRIBUTE.code, result.code);
      if (result.guard !== undefined) span.setAttribute(ATTRIBUTE.guard, result.guard);
      if (result.sessionId !== undefined) span.setAttribute(ATTRIBUTE.sessionId, result.sessionId);
      if (result.tenant !== undefined) span.setAttribute(ATTRIBUTE.tenant, result.tenant);
      if (result.outcome === 'deny' || result.outcome === 'failed' || result.outcome === 'error') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.code ?? result.outcome });
        if (result.code !== undefined) span.setAttribute('error.type', result.code);
      }
      if (result.sub !== undefined) span.setAttribute(ATTRIBUTE.sub, mapSubject(result.sub));
    } finally {
      span.end();
    }
  }
}

function endPhase(span: Span, result: ObservedPhaseEnd): void {
  span.setAttribute(ATTRIBUTE.outcome, result.outcome);
  if (result.code !== undefined) span.setAttribute(ATTRIBUTE.code, result.code);
  if (result.outcome === 'deny' || result.outcome === 'failed') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.code ?? result.outcome });
    if (result.code !== undefined) span.setAttribute('error.type', result.code);
  }
  span.end();
}
