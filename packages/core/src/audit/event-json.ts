import { canonicalJson } from '../digest';
import type { AuditEvent, AuditEventDraft, AuditOutcome, AuditPhase } from './event';

/**
 * Internal: how the log builds an event and its canonical JSON without per-event sorting.
 *
 * The log adds an event's fields in the order `canonicalJson` sorts keys, so for an event of strings (all but those
 * recording arguments) `JSON.stringify` writes exactly the canonical text, in one native pass. Other events have their
 * canonical JSON written field by field in that order. A draft or event with any other field takes the general path
 * (`canonicalJson`), so the text — and the hash over it — is the same either way, and `verifyAuditChain` reads events
 * of any age alike.
 */

const DRAFT_FIELDS = new Set<string>([
  'sessionId',
  'sub',
  'tenant',
  'agent',
  'tool',
  'callId',
  'argsDigest',
  'phase',
  'guard',
  'outcome',
  'code',
  'reason',
  'approvalId',
  'connection',
  'args',
  'at',
]);
const EVENT_FIELDS = new Set<string>([...DRAFT_FIELDS, 'id', 'chain', 'prevHash', 'hash']);

/** Internal: the facts of one call, the same on every event of it (the gate keeps them in one object per call). */
export type CallFacts = Pick<
  AuditEventDraft,
  'tool' | 'callId' | 'agent' | 'sessionId' | 'sub' | 'tenant' | 'argsDigest'
>;

/** Internal: what one decision adds to the facts of its call. */
export type DecisionFacts = Partial<
  Pick<AuditEventDraft, 'guard' | 'code' | 'reason' | 'approvalId' | 'connection' | 'args'>
>;

/**
 * Whether `draft` is a plain object with no field an event does not have: then {@link newAuditEvent} builds its event.
 * Otherwise the caller builds it as before, field for field.
 */
export function isKnownDraft(draft: AuditEventDraft): boolean {
  if (Object.getPrototypeOf(draft) !== Object.prototype) return false;
  for (const key in draft) if (!DRAFT_FIELDS.has(key)) return false;
  return true;
}

/**
 * An event's fields added in canonical order (absent ones left out, as JSON leaves them out), `hash` not set yet.
 *
 * A constructor rather than an object literal grown field by field: V8 sizes the objects a constructor makes to hold
 * every field inline, where `{}` grows a separate property store several times over. Its prototype is
 * `Object.prototype`, so an event is a plain object like any other to `structuredClone`, JSON, `canonicalJson` and
 * `verifyAuditChain`.
 */
function AuditEventFields(
  this: Record<string, unknown>,
  call: CallFacts,
  phase: AuditPhase,
  outcome: AuditOutcome,
  decision: DecisionFacts,
  id: string,
  chain: string,
  at: string,
  prevHash: string,
): void {
  // Sorted as canonicalJson sorts keys (UTF-16 code units), so that JSON.stringify writes the canonical text.
  if (call.agent !== undefined) this.agent = call.agent;
  if (decision.approvalId !== undefined) this.approvalId = decision.approvalId;
  if (decision.args !== undefined) this.args = decision.args;
  if (call.argsDigest !== undefined) this.argsDigest = call.argsDigest;
  this.at = at;
  if (call.callId !== undefined) this.callId = call.callId;
  this.chain = chain;
  if (decision.code !== undefined) this.code = decision.code;
  if (decision.connection !== undefined) this.connection = decision.connection;
  if (decision.guard !== undefined) this.guard = decision.guard;
  this.id = id;
  if (outcome !== undefined) this.outcome = outcome;
  if (phase !== undefined) this.phase = phase;
  this.prevHash = prevHash;
  if (decision.reason !== undefined) this.reason = decision.reason;
  if (call.sessionId !== undefined) this.sessionId = call.sessionId;
  if (call.sub !== undefined) this.sub = call.sub;
  if (call.tenant !== undefined) this.tenant = call.tenant;
  if (call.tool !== undefined) this.tool = call.tool;
}
AuditEventFields.prototype = Object.prototype;

/**
 * The event of one decision of a call, or of a draft ({@link isKnownDraft}) passed as both `call` and `decision`;
 * `hash` not set yet.
 */
export const newAuditEvent = AuditEventFields as unknown as new (
  ...fields: Parameters<typeof AuditEventFields>
) => AuditEvent;

/**
 * `canonicalJson` of an event from {@link newAuditEvent} before its hash is set. When every field is a string —
 * every event but one recording arguments — that is exactly what `JSON.stringify` writes for it: its fields are in
 * sorted order, and both write strings alike.
 */
export function canonicalBuiltEventJson(event: AuditEvent): string {
  return allStrings(event) ? JSON.stringify(event) : canonicalKnownEventJson(event);
}

function allStrings(event: AuditEvent): boolean {
  return (
    event.args === undefined &&
    isTextOrAbsent(event.agent) &&
    isTextOrAbsent(event.approvalId) &&
    isTextOrAbsent(event.argsDigest) &&
    isTextOrAbsent(event.at) &&
    isTextOrAbsent(event.callId) &&
    isTextOrAbsent(event.chain) &&
    isTextOrAbsent(event.code) &&
    isTextOrAbsent(event.connection) &&
    isTextOrAbsent(event.guard) &&
    !Object.hasOwn(event, 'hash') &&
    isTextOrAbsent(event.id) &&
    isTextOrAbsent(event.outcome) &&
    isTextOrAbsent(event.phase) &&
    isTextOrAbsent(event.prevHash) &&
    isTextOrAbsent(event.reason) &&
    isTextOrAbsent(event.sessionId) &&
    isTextOrAbsent(event.sub) &&
    isTextOrAbsent(event.tenant) &&
    isTextOrAbsent(event.tool)
  );
}

function isTextOrAbsent(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** `canonicalJson` of the event without `hash`. @throws TypeError as `canonicalJson` does */
export function canonicalEventJson(event: object): string {
  if (Object.getPrototypeOf(event) === Object.prototype) {
    let known = true;
    for (const key in event) {
      if (!EVENT_FIELDS.has(key)) {
        known = false;
        break;
      }
    }
    if (known) return canonicalKnownEventJson(event as AuditEvent);
  }
  const { hash: _hash, ...rest } = event as { hash?: unknown };
  return canonicalJson(rest);
}

/**
 * `canonicalJson` of an event with no field but the known ones, `hash` left out: the fields in sorted order (by UTF-16
 * code units, as `canonicalJson` sorts keys), `undefined` ones left out.
 */
export function canonicalKnownEventJson(event: AuditEvent): string {
  let text = '';
  text = field(text, '"agent":', event.agent);
  text = field(text, '"approvalId":', event.approvalId);
  text = field(text, '"args":', event.args);
  text = field(text, '"argsDigest":', event.argsDigest);
  text = field(text, '"at":', event.at);
  text = field(text, '"callId":', event.callId);
  text = field(text, '"chain":', event.chain);
  text = field(text, '"code":', event.code);
  text = field(text, '"connection":', event.connection);
  text = field(text, '"guard":', event.guard);
  text = field(text, '"id":', event.id);
  text = field(text, '"outcome":', event.outcome);
  text = field(text, '"phase":', event.phase);
  text = field(text, '"prevHash":', event.prevHash);
  text = field(text, '"reason":', event.reason);
  text = field(text, '"sessionId":', event.sessionId);
  text = field(text, '"sub":', event.sub);
  text = field(text, '"tenant":', event.tenant);
  text = field(text, '"tool":', event.tool);
  return `{${text}}`;
}

function field(text: string, prefix: string, value: unknown): string {
  if (value === undefined) return text;
  const json = typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value);
  return text.length === 0 ? prefix + json : `${text},${prefix}${json}`;
}
