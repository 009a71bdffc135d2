import { redactSecrets } from './redact';
import { SAFE_CAUSE, safeCause } from './safe-cause';

/** Codes of final denials: the call will not run, and asking again will not change that. */
export type DenialCode =
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'INVALID_ARGUMENTS'
  | 'NO_SESSION'
  | 'GUARD_FAILED';

/** Codes of interrupts: the call did not run, and the user can act so that it may (connect, approve, re-authenticate). */
export type InterruptCode =
  | 'CONNECTION_REQUIRED'
  | 'APPROVAL_PENDING'
  | 'APPROVAL_DENIED'
  | 'APPROVAL_EXPIRED'
  | 'STEP_UP_REQUIRED';

/** Every code an AgentGate error can carry; `switch (error.code)` narrows on it. */
export type AgentGateErrorCode = DenialCode | InterruptCode | 'AUDIT_FAILED' | 'CONNECTION_TOKEN_REJECTED';

const MARKER = Symbol.for('agentgate.error');
const DENIAL_CODES: readonly DenialCode[] = [
  'FORBIDDEN',
  'INSUFFICIENT_SCOPE',
  'INVALID_ARGUMENTS',
  'NO_SESSION',
  'GUARD_FAILED',
];
const INTERRUPT_CODES: readonly InterruptCode[] = [
  'CONNECTION_REQUIRED',
  'APPROVAL_PENDING',
  'APPROVAL_DENIED',
  'APPROVAL_EXPIRED',
  'STEP_UP_REQUIRED',
];

/** Extra, JSON-safe facts an error carries (e.g. the missing scopes, the approval id). Never a secret. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** The JSON form of a denial or an interrupt: what crosses HTTP, process and checkpoint boundaries. */
export interface GateErrorJSON<Code extends DenialCode | InterruptCode = DenialCode | InterruptCode> {
  kind: Code extends InterruptCode ? 'interrupt' : 'denied';
  code: Code;
  message: string;
  guard?: string;
  details: ErrorDetails;
}

export interface AgentGateErrorOptions {
  cause?: unknown;
  /** The name of the guard that decided, when a guard did. */
  guard?: string;
  details?: ErrorDetails;
}

/**
 * The base of every error AgentGate throws. Messages are redacted: a token that slips into one is masked.
 * `AgentGateError.isInstance(value)` works across two installed copies of the package.
 */
export abstract class AgentGateError extends Error {
  abstract readonly code: AgentGateErrorCode;
  readonly guard: string | undefined;
  readonly details: ErrorDetails;
  readonly [MARKER] = true;
  readonly [SAFE_CAUSE] = true;

  /** The message is redacted and the `cause` reduced to a {@link SafeCause} chain, so no token rides along. */
  constructor(message: string, options: AgentGateErrorOptions = {}) {
    const cause = safeCause(options.cause);
    super(redactSecrets(message), cause === undefined ? undefined : { cause });
    this.guard = options.guard;
    this.details = options.details ?? {};
  }

  static isInstance(value: unknown): value is AgentGateError {
    return typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }
}

/** A final "no": the tool did not run. Codes: FORBIDDEN, INSUFFICIENT_SCOPE, INVALID_ARGUMENTS, NO_SESSION, GUARD_FAILED. */
export class GateDenied<Code extends DenialCode = DenialCode> extends AgentGateError {
  override readonly name = 'GateDenied';
  readonly code: Code;

  constructor(code: Code, message: string, options: AgentGateErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }

  toJSON(): GateErrorJSON<Code> {
    return toJSON('denied', this) as GateErrorJSON<Code>;
  }

  /** Rebuilds a denial from its JSON form. */
  static fromJSON(json: GateErrorJSON<DenialCode>): GateDenied {
    return new GateDenied(json.code, json.message, { details: json.details, guard: json.guard });
  }
}

/**
 * "The user must act": connect an account, approve, re-authenticate. The tool did not run; it may run after the
 * user acts. Interrupts are data: `toJSON()` and `isGateInterrupt()` let them cross process and checkpoint boundaries.
 */
export class GateInterrupt<Code extends InterruptCode = InterruptCode> extends AgentGateError {
  override readonly name = 'GateInterrupt';
  readonly code: Code;

  constructor(code: Code, message: string, options: AgentGateErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }

  toJSON(): GateErrorJSON<Code> {
    return toJSON('interrupt', this) as GateErrorJSON<Code>;
  }

  /** Rebuilds an interrupt from its JSON form. */
  static fromJSON(json: GateErrorJSON<InterruptCode>): GateInterrupt {
    return new GateInterrupt(json.code, json.message, { details: json.details, guard: json.guard });
  }
}

/** The audit sink failed, so the call failed closed: nothing runs without its record. */
export class AuditFailed extends AgentGateError {
  override readonly name = 'AuditFailed';
  readonly code = 'AUDIT_FAILED' as const;
}

/**
 * Thrown by a tool when the provider rejected the connection token it was given (HTTP 401). The gate lets the guard
 * that issued the token drop it and fetch a fresh one, then runs the tool once more.
 */
export class ConnectionTokenRejected extends AgentGateError {
  override readonly name = 'ConnectionTokenRejected';
  readonly code = 'CONNECTION_TOKEN_REJECTED' as const;
  readonly connection: string;

  constructor(
    connection: string,
    message = `the provider rejected the token for connection '${connection}'`,
  ) {
    super(message, { details: { connection } });
    this.connection = connection;
  }
}

/** A thrown denial or interrupt from any installed copy of AgentGate (instances only, not JSON forms). */
export function isGateDecision(value: unknown): value is GateDenied | GateInterrupt {
  return AgentGateError.isInstance(value) && (isDenialCode(value.code) || isInterruptCode(value.code));
}

/** A thrown `ConnectionTokenRejected` from any installed copy of AgentGate. */
export function isConnectionTokenRejected(value: unknown): value is ConnectionTokenRejected {
  return AgentGateError.isInstance(value) && value.code === 'CONNECTION_TOKEN_REJECTED';
}

export function isInterruptCode(code: string): code is InterruptCode {
  return (INTERRUPT_CODES as readonly string[]).includes(code);
}

export function isDenialCode(code: string): code is DenialCode {
  return (DENIAL_CODES as readonly string[]).includes(code);
}

/** True for a `GateInterrupt` instance and for its JSON form (e.g. read back from a checkpoint or an HTTP body). */
export function isGateInterrupt(value: unknown): value is GateInterrupt | GateErrorJSON<InterruptCode> {
  if (value instanceof GateInterrupt) return true;
  return isErrorShape(value, 'interrupt', INTERRUPT_CODES);
}

/** True for a `GateDenied` instance and for its JSON form. */
export function isGateDenied(value: unknown): value is GateDenied | GateErrorJSON<DenialCode> {
  if (value instanceof GateDenied) return true;
  return isErrorShape(value, 'denied', DENIAL_CODES);
}

/** Rebuilds a `GateDenied` or `GateInterrupt` from either its instance or its JSON form; `undefined` otherwise. */
export function reviveGateError(value: unknown): GateDenied | GateInterrupt | undefined {
  if (value instanceof GateDenied || value instanceof GateInterrupt) return value;
  if (isGateInterrupt(value)) return GateInterrupt.fromJSON(value as GateErrorJSON<InterruptCode>);
  if (isGateDenied(value)) return GateDenied.fromJSON(value as GateErrorJSON<DenialCode>);
  return undefined;
}

function isErrorShape(value: unknown, kind: 'interrupt' | 'denied', codes: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<GateErrorJSON>;
  if (AgentGateError.isInstance(value)) return codes.includes((value as AgentGateError).code);
  return (
    candidate.kind === kind &&
    typeof candidate.code === 'string' &&
    codes.includes(candidate.code) &&
    typeof candidate.message === 'string'
  );
}

function toJSON(kind: 'interrupt' | 'denied', error: GateDenied | GateInterrupt): GateErrorJSON {
  return {
    kind,
    code: error.code,
    message: error.message,
    ...(error.guard === undefined ? {} : { guard: error.guard }),
    details: error.details,
  } as GateErrorJSON;
}
