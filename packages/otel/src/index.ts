// The observer: spans for every gated call, audit events as log records
export type { AuditLogEmitter, AuditLogRecord, OpenTelemetryObserverOptions } from './otel-observer';
export { createOpenTelemetryObserver, INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './otel-observer';
// Pseudonymous subjects
export type { SubjectHashing } from './subject-hash';
