import { canonicalJson } from '../digest';
import type { AuditEvent, AuditEventDraft } from './event';

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

/**
 * The event for `draft`, its fields added in canonical order (absent ones left out, as JSON leaves them out) and
 * `hash` not set yet; or `undefined` when the draft carries a field an event does not have (or is not a plain
 * object): the caller then builds it as before, field for field.
 */
export function buildAuditEvent(
  draft: AuditEventDraft,
  id: string,
  chain: string,
  at: string,
  prevHash: string,
): AuditEvent | undefined {
  if (Object.getPrototypeOf(draft) !== Object.prototype) return undefined;
  for (const key in draft) if (!DRAFT_FIELDS.has(key)) return undefined;
  // Sorted as canonicalJson sorts keys (UTF-16 code units), so that JSON.stringify writes the canonical text.
  const event = {} as AuditEvent;
  if (draft.agent !== undefined) event.agent = draft.agent;
  if (draft.approvalId !== undefined) event.approvalId = draft.approvalId;
  if (draft.args !== undefined) event.args = draft.args;
  if (draft.argsDigest !== undefined) event.argsDigest = draft.argsDigest;
  event.at = at;
  if (draft.callId !== undefined) event.callId = draft.callId;
  event.chain = chain;
  if (draft.code !== undefined) event.code = draft.code;
  if (draft.connection !== undefined) event.connection = draft.connection;
  if (draft.guard !== undefined) event.guard = draft.guard;
  event.id = id;
  if (draft.outcome !== undefined) event.outcome = draft.outcome;
  if (draft.phase !== undefined) event.phase = draft.phase;
  event.prevHash = prevHash;
  if (draft.reason !== undefined) event.reason = draft.reason;
  if (draft.sessionId !== undefined) event.sessionId = draft.sessionId;
  if (draft.sub !== undefined) event.sub = draft.sub;
  if (draft.tenant !== undefined) event.tenant = draft.tenant;
  if (draft.tool !== undefined) event.tool = draft.tool;
  return event;
}

/**
 * `canonicalJson` of an event from {@link buildAuditEvent} before its hash is set. When every field is a string —
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
