import type { ObservedAuditEvent } from '@agentgate/core';
import type { Attributes } from '@opentelemetry/api';

/** Attribute names the observer writes. Codes, names, ids and digests only: never arguments, reasons or tokens. */
export const ATTRIBUTE = {
  tool: 'agentgate.tool',
  callId: 'agentgate.call_id',
  agent: 'agentgate.agent',
  risk: 'agentgate.risk',
  outcome: 'agentgate.outcome',
  code: 'agentgate.code',
  guard: 'agentgate.guard',
  guardKind: 'agentgate.guard.kind',
  shadow: 'agentgate.shadow',
  attempt: 'agentgate.attempt',
  sessionId: 'agentgate.session.id',
  sub: 'agentgate.sub',
  tenant: 'agentgate.tenant',
} as const;

/** The attributes of an audit event as a log record (or span event): every field but `reason` (observers never hear `args`). */
export function auditAttributes(event: ObservedAuditEvent, mapSubject: (sub: string) => string): Attributes {
  const attributes: Attributes = {
    'agentgate.audit.id': event.id,
    'agentgate.audit.at': event.at,
    'agentgate.audit.phase': event.phase,
    [ATTRIBUTE.outcome]: event.outcome,
    [ATTRIBUTE.tool]: event.tool,
    [ATTRIBUTE.callId]: event.callId,
    'agentgate.audit.hash': event.hash,
    'agentgate.audit.prev_hash': event.prevHash,
  };
  const optional: [string, string | undefined][] = [
    ['agentgate.audit.chain', event.chain],
    [ATTRIBUTE.guard, event.guard],
    [ATTRIBUTE.code, event.code],
    [ATTRIBUTE.sessionId, event.sessionId],
    [ATTRIBUTE.sub, event.sub === undefined ? undefined : mapSubject(event.sub)],
    [ATTRIBUTE.tenant, event.tenant],
    [ATTRIBUTE.agent, event.agent],
    ['agentgate.args_digest', event.argsDigest],
    ['agentgate.approval_id', event.approvalId],
    ['agentgate.connection', event.connection],
  ];
  for (const [name, value] of optional) if (typeof value === 'string') attributes[name] = value;
  return attributes;
}
