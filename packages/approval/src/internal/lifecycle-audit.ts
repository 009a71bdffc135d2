import type { AuditLog, AuditOutcome } from '@agentgate/core';
import type { StoredRecord } from './records';

/**
 * Writes the life of an approval to the audit log: `requested`, `pending`, `approved`, `denied`, `expired`,
 * `consumed`, `failed`, and `deny` for a refused replay — each with the approval id and the arguments' digest (phase
 * `approval`). Never a token or an `auth_req_id`. Events of a call carry its `callId`; those of a worker or of
 * `decide()` carry `approval:<id>`.
 */
export class LifecycleAudit {
  readonly #log: AuditLog | undefined;

  constructor(log: AuditLog | undefined) {
    this.#log = log;
  }

  /** @throws AuditFailed when the event cannot be stored (the caller fails closed) */
  async record(
    outcome: AuditOutcome,
    record: StoredRecord,
    extra: { callId?: string; reason?: string; code?: string } = {},
  ): Promise<void> {
    if (!this.#log) return;
    const { binding } = record;
    await this.#log.append({
      tool: binding.tool,
      callId: extra.callId ?? `approval:${record.id}`,
      sessionId: record.sessionId,
      sub: binding.sub,
      ...(binding.tenant === undefined ? {} : { tenant: binding.tenant }),
      argsDigest: binding.argsDigest,
      phase: 'approval',
      guard: record.guard,
      outcome,
      approvalId: record.id,
      ...(extra.code === undefined ? {} : { code: extra.code }),
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    });
  }
}
