import { redactSecrets, redactValue } from './redact';
import { SAFE_CAUSE, safeCause } from './safe-cause';

/** Codes of final denials: the call will not run, and asking again will not change that. */
export type DenialCode =
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'INVALID_ARGUMENTS'
  | 'NO_SESSION'
  | 'GUARD_FAILED'
  | 'RATE_LIMITED';

/** Codes of interrupts: the call did not run, and the user can act so that it may (connect, approve, re-authenticate). */
export type InterruptCode =
  | 'CONNECTION_REQUIRED'
  | 'APPROVAL_PENDING'
  | 'APPROVAL_DENIED'
  | 'APPROVAL_EXPIRED'
  | 'STEP_UP_REQUIRED';

/** Codes of a `Store` that could not answer (`STORE_UNAVAILABLE`) or refused a stored value (`STORE_VALUE_REJECTED`). */
export type StoreErrorCode = 'STORE_UNAVAILABLE' | 'STORE_VALUE_REJECTED';

/** Every code an AgentGate error can carry; `switch (error.code)` narrows on it. */
export type AgentGateErrorCode =
  | DenialCode
  | InterruptCode
  | StoreErrorCode
  | 'AUDIT_FAILED'
  | 'CONNECTION_TOKEN_REJECTED';

const MARKER = Symbol.for('agentgate.error');
const DENIAL_CODES: readonly DenialCode[] = [
  'FORBIDDEN',
  'INSUFFICIENT_SCOPE',
  'INVALID_ARGUMENTS',
  'NO_SESSION',
  'GUARD_FAILED',
  'RATE_LIMITED',
];
const INTERRUPT_CODES: readonly InterruptCode[] = [
  'CONNECTION_REQUIRED',
  'APPROVAL_PENDING',
  'APPROVAL_DENIED',
  'APPROVAL_EXPIRED',
  'STEP_UP_REQUIRED',
];

/** Extra, JSON-safe facts an error carries (e.g. the missing scopes, the approval id). Never a secret. */
export type ErrorDetails = { readonly [key: string]: unknown };

/** One argument that failed the tool's schema: where (`a.b.0`) and why. */
export interface ArgumentIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * What `details` holds for each denial code. The named fields are always there (or documented as optional); a guard
 * may add more facts of its own.
 */
export interface DenialDetailsByCode {
  /** `missingGuardKinds` when the risk policy refused the call; other facts from the guard that refused. */
  FORBIDDEN: ErrorDetails & { readonly missingGuardKinds?: readonly string[] };
  /** From `requireScopes`: the scopes the session lacks and all it needs. */
  INSUFFICIENT_SCOPE: ErrorDetails & {
    readonly missing: readonly string[];
    readonly required: readonly string[];
  };
  /** Each argument that failed the schema (messages redacted). */
  INVALID_ARGUMENTS: ErrorDetails & { readonly issues: readonly ArgumentIssue[] };
  NO_SESSION: ErrorDetails;
  GUARD_FAILED: ErrorDetails;
  /** From a limit or quota: seconds until the call may succeed again (whole seconds, at least 1). */
  RATE_LIMITED: ErrorDetails & { readonly retryAfter: number };
}

/** What `details` holds for each interrupt code: what the app needs to let the user act. */
export interface InterruptDetailsByCode {
  /** Connect (or re-consent) an external account: open `connectUrl` when there is one. */
  CONNECTION_REQUIRED: ErrorDetails & {
    readonly connection: string;
    /** Requested plus previously granted scopes, each once. */
    readonly requiredScopes: readonly string[];
    /** Where the user connects the account; absent when the vault was given no `connectUrl`. */
    readonly connectUrl?: string;
    readonly authorizationParams?: Readonly<Record<string, string>>;
  };
  APPROVAL_PENDING: ErrorDetails & { readonly approvalId?: string };
  APPROVAL_DENIED: ErrorDetails & { readonly approvalId?: string };
  APPROVAL_EXPIRED: ErrorDetails & { readonly approvalId?: string };
  /** Log in again: pass `authorizationParams` (`max_age`, `acr_values`) to the authorization request. */
  STEP_UP_REQUIRED: ErrorDetails & { readonly authorizationParams: Readonly<Record<string, string>> };
}

/** The `details` of an error with this code. */
export type DetailsOf<Code extends DenialCode | InterruptCode> = Code extends DenialCode
  ? DenialDetailsByCode[Code]
  : Code extends InterruptCode
    ? InterruptDetailsByCode[Code]
    : never;

/** The JSON form of a denial or an interrupt: what crosses HTTP, process and checkpoint boundaries. */
export interface GateErrorJSON<Code extends DenialCode | InterruptCode = DenialCode | InterruptCode> {
  kind: Code extends InterruptCode ? 'interrupt' : 'denied';
  code: Code;
  message: string;
  guard?: string;
  details: DetailsOf<Code>;
}

/** The JSON form of an interrupt as a union by code: `if (json.code === 'CONNECTION_REQUIRED') json.details.connectUrl`. */
export type AnyGateInterruptJSON = { [Code in InterruptCode]: GateErrorJSON<Code> }[InterruptCode];
/** The JSON form of a denial as a union by code. */
export type AnyGateDeniedJSON = { [Code in DenialCode]: GateErrorJSON<Code> }[DenialCode];

export interface AgentGateErrorOptions<Details extends ErrorDetails = ErrorDetails> {
  cause?: unknown;
  /** The name of the guard that decided, when a guard did. */
  guard?: string;
  details?: Details;
}

/** Whether any code of `Code` has facts it requires (distributed over a union of codes). */
type RequiresDetails<Code extends DenialCode | InterruptCode> = Code extends unknown
  ? Record<never, never> extends DetailsOf<Code>
    ? false
    : true
  : never;

/**
 * The options of a denial or interrupt with this code: `details` is required when the code — or any code of a union
 * such as `DenialCode` — has required facts.
 */
type DecisionOptions<Code extends DenialCode | InterruptCode> =
  true extends RequiresDetails<Code>
    ? [options: AgentGateErrorOptions<DetailsOf<Code>> & { details: DetailsOf<Code> }]
    : [options?: AgentGateErrorOptions<DetailsOf<Code>>];

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

  /**
   * The message and every string in `details` are redacted (and secret-named detail fields masked), and the `cause`
   * is reduced to a {@link SafeCause} chain, so no token rides along — `toJSON()` sends `details` to the model.
   */
  constructor(message: string, options: AgentGateErrorOptions = {}) {
    const cause = safeCause(options.cause);
    super(redactSecrets(message), cause === undefined ? undefined : { cause });
    this.guard = options.guard;
    this.details = Object.freeze(
      options.details === undefined ? {} : (redactValue(options.details) as ErrorDetails),
    );
  }

  /** True for an AgentGate error from any installed copy of the package; never throws (even for a hostile proxy). */
  static isInstance(value: unknown): value is AgentGateError {
    try {
      return (
        typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true
      );
    } catch {
      return false;
    }
  }
}

/** A final "no": the tool did not run. Codes: FORBIDDEN, INSUFFICIENT_SCOPE, INVALID_ARGUMENTS, NO_SESSION, GUARD_FAILED, RATE_LIMITED. */
export class GateDenied<Code extends DenialCode = DenialCode> extends AgentGateError {
  override readonly name = 'GateDenied';
  readonly code: Code;
  declare readonly details: DenialDetailsByCode[Code];

  constructor(code: Code, message: string, ...[options]: DecisionOptions<Code>) {
    super(message, options);
    this.code = code;
  }

  toJSON(): GateErrorJSON<Code> {
    return toJSON('denied', this) as GateErrorJSON<Code>;
  }

  /** Rebuilds a denial from its JSON form. */
  static fromJSON<Code extends DenialCode>(json: GateErrorJSON<Code>): GateDenied<Code> {
    const options = { details: json.details, ...(json.guard === undefined ? {} : { guard: json.guard }) };
    return new GateDenied<Code>(json.code, json.message, ...([options] as DecisionOptions<Code>));
  }
}

/**
 * "The user must act": connect an account, approve, re-authenticate. The tool did not run; it may run after the
 * user acts. Interrupts are data: `toJSON()` and `isGateInterrupt()` let them cross process and checkpoint boundaries.
 */
export class GateInterrupt<Code extends InterruptCode = InterruptCode> extends AgentGateError {
  override readonly name = 'GateInterrupt';
  readonly code: Code;
  declare readonly details: InterruptDetailsByCode[Code];

  constructor(code: Code, message: string, ...[options]: DecisionOptions<Code>) {
    super(message, options);
    this.code = code;
  }

  toJSON(): GateErrorJSON<Code> {
    return toJSON('interrupt', this) as GateErrorJSON<Code>;
  }

  /** Rebuilds an interrupt from its JSON form. */
  static fromJSON<Code extends InterruptCode>(json: GateErrorJSON<Code>): GateInterrupt<Code> {
    const options = { details: json.details, ...(json.guard === undefined ? {} : { guard: json.guard }) };
    return new GateInterrupt<Code>(json.code, json.message, ...([options] as DecisionOptions<Code>));
  }
}

/**
 * A denial as a union by code, so narrowing on `code` types `details`:
 * `if (error.code === 'INSUFFICIENT_SCOPE') error.details.missing`.
 */
export type AnyGateDenied = { [Code in DenialCode]: GateDenied<Code> }[DenialCode];
/**
 * An interrupt as a union by code, so narrowing on `code` types `details`:
 * `if (error.code === 'CONNECTION_REQUIRED') error.details.connectUrl`.
 */
export type AnyGateInterrupt = { [Code in InterruptCode]: GateInterrupt<Code> }[InterruptCode];

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
export function isGateDecision(value: unknown): value is AnyGateDenied | AnyGateInterrupt {
  try {
    return AgentGateError.isInstance(value) && (isDenialCode(value.code) || isInterruptCode(value.code));
  } catch {
    return false;
  }
}

/** A thrown `ConnectionTokenRejected` from any installed copy of AgentGate. */
export function isConnectionTokenRejected(value: unknown): value is ConnectionTokenRejected {
  try {
    return AgentGateError.isInstance(value) && value.code === 'CONNECTION_TOKEN_REJECTED';
  } catch {
    return false;
  }
}

export function isInterruptCode(code: unknown): code is InterruptCode {
  return (INTERRUPT_CODES as readonly unknown[]).includes(code);
}

export function isDenialCode(code: unknown): code is DenialCode {
  return (DENIAL_CODES as readonly unknown[]).includes(code);
}

/**
 * True for a `GateInterrupt` instance and for its JSON form (e.g. read back from a checkpoint or an HTTP body) that
 * carries the `details` its code promises, so narrowing on `code` types what can be read.
 */
export function isGateInterrupt(value: unknown): value is AnyGateInterrupt | AnyGateInterruptJSON {
  return isErrorShape(value, 'interrupt', INTERRUPT_CODES);
}

/** True for a `GateDenied` instance and for its JSON form, with the `details` its code promises. */
export function isGateDenied(value: unknown): value is AnyGateDenied | AnyGateDeniedJSON {
  return isErrorShape(value, 'denied', DENIAL_CODES);
}

/** Rebuilds a `GateDenied` or `GateInterrupt` from either its instance or its JSON form; `undefined` otherwise. */
export function reviveGateError(value: unknown): AnyGateDenied | AnyGateInterrupt | undefined {
  if (value instanceof GateDenied || value instanceof GateInterrupt)
    return value as AnyGateDenied | AnyGateInterrupt;
  if (isGateInterrupt(value))
    return GateInterrupt.fromJSON(value as GateErrorJSON<InterruptCode>) as AnyGateInterrupt;
  if (isGateDenied(value)) return GateDenied.fromJSON(value as GateErrorJSON<DenialCode>) as AnyGateDenied;
  return undefined;
}

function isErrorShape(value: unknown, kind: 'interrupt' | 'denied', codes: readonly string[]): boolean {
  try {
    if (typeof value !== 'object' || value === null) return false;
    const candidate = value as Partial<GateErrorJSON>;
    if (AgentGateError.isInstance(value)) {
      const { code, details } = value as AgentGateError;
      return codes.includes(code) && hasRequiredDetails(code, details);
    }
    return (
      candidate.kind === kind &&
      typeof candidate.code === 'string' &&
      codes.includes(candidate.code) &&
      typeof candidate.message === 'string' &&
      hasRequiredDetails(candidate.code, candidate.details)
    );
  } catch {
    return false;
  }
}

const isStringList = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isStringRecord = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((item) => typeof item === 'string');

/**
 * Whether `details` holds the facts its code promises (`DenialDetailsByCode`, `InterruptDetailsByCode`), so the type
 * guards narrow only what a caller can then read: JSON from elsewhere may be missing them.
 */
function hasRequiredDetails(code: string, details: unknown): boolean {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return false;
  const facts = details as Record<string, unknown>;
  switch (code) {
    case 'CONNECTION_REQUIRED':
      return (
        typeof facts.connection === 'string' &&
        isStringList(facts.requiredScopes) &&
        (facts.connectUrl === undefined || typeof facts.connectUrl === 'string')
      );
    case 'STEP_UP_REQUIRED':
      return isStringRecord(facts.authorizationParams);
    case 'INSUFFICIENT_SCOPE':
      return isStringList(facts.missing) && isStringList(facts.required);
    case 'INVALID_ARGUMENTS':
      return Array.isArray(facts.issues);
    case 'RATE_LIMITED':
      return (
        typeof facts.retryAfter === 'number' && Number.isFinite(facts.retryAfter) && facts.retryAfter >= 0
      );
    default:
      return true;
  }
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
