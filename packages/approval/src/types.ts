import type { AgentSession, AuditLog, AuditSink, Guard, SessionView, Store } from '@agentgate/core';

/** One RFC 9396 authorization detail: what exactly the user approves (`{ type: 'refund', orderId, amount }`). */
export interface AuthorizationDetail {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Where the user decides: on their own device through OpenID CIBA, or in the app's own UI. */
export type ApprovalChannel = 'ciba' | 'in-app';

/**
 * `wait`: the call blocks until the approval is decided (or its timeout, its signal or the request's expiry ends it).
 * `interrupt`: the call throws `APPROVAL_PENDING` at once; calling again with the same arguments in the same session
 * resumes that same approval.
 */
export type ApprovalMode = 'wait' | 'interrupt';

/**
 * The state of an approval record: `pending` until decided; `approved` until it runs once, then `consumed`;
 * `denied`, `expired`; `failed` when the provider failed or its answer did not verify (fail closed).
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed' | 'failed';

/** An approval as `get` and `list` show it: JSON-safe, and never a token or an `auth_req_id`. */
export interface ApprovalView {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly channel: ApprovalChannel;
  readonly tool: string;
  readonly argsDigest: string;
  readonly iss: string;
  readonly sub: string;
  readonly tenant?: string;
  readonly sessionId: string;
  /**
   * The id of the tool call the approval was requested for (a concurrent identical call in the same session waits on
   * the same record). An answer given for a tool call — a chat's yes or no — decides only the record requested for it.
   */
  readonly callId?: string;
  readonly bindingMessage: string;
  readonly authorizationDetails: readonly AuthorizationDetail[];
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601: a pending approval expires then. */
  readonly expiresAt: string;
  /** ISO 8601, once decided. */
  readonly decidedAt?: string;
  /** Why it was denied, expired or failed (never a secret). */
  readonly reason?: string;
}

/** What the callbacks of {@link ApprovalGuardOptions} receive: the validated arguments and the user (no token). */
export interface ApprovalInput<Args> {
  readonly args: Args;
  readonly session: SessionView;
}

/** Options of `approvals.guard()`. */
export interface ApprovalGuardOptions<Args = unknown> {
  /** `'ciba'` (needs `createApprovals({ ciba })`) or `'in-app'`. */
  channel: ApprovalChannel;
  mode: ApprovalMode;
  /** What the user approves; sent as `authorization_details` over CIBA. At least one detail, each with a `type`. */
  details: (
    input: ApprovalInput<Args>,
  ) => readonly AuthorizationDetail[] | Promise<readonly AuthorizationDetail[]>;
  /** The short text the user sees (CIBA: checked against the provider's rules before it is sent). */
  bindingMessage: (input: ApprovalInput<Args>) => string | Promise<string>;
  /** Whether this call needs an approval at all. @default every call does */
  when?: (input: ApprovalInput<Args>) => boolean | Promise<boolean>;
  /** CIBA `scope`. @default ['openid'] */
  scopes?: readonly string[];
  /** CIBA `audience` of the access token that carries the approval. @default `ciba.audience` */
  audience?: string;
  /** Seconds the user has to decide (CIBA `requested_expiry`). @default 300 */
  requestedExpiry?: number;
  /** `wait` mode: the longest a call blocks, in ms; then it throws `APPROVAL_PENDING` (still resumable). @default until the request expires */
  timeoutMs?: number;
  /** Shown in audit events and errors. @default `approval(<channel>)` */
  name?: string;
}

/** A `fetch` for CIBA and discovery requests. */
export type ApprovalsFetch = (url: string, init: RequestInit) => Promise<Response>;

/** The provider's rules for `binding_message`, checked before a request is sent. */
export interface BindingMessageRules {
  maxLength: number;
  pattern: RegExp;
}

/** OpenID CIBA (poll mode) with Rich Authorization Requests. */
export interface CibaOptions {
  /** Issuer identifier (discovery starts here), e.g. `https://tenant.auth0.com/`. */
  issuer: string | URL;
  clientId: string;
  /** Exactly one of `clientSecret` (sent as `client_secret_post`) and `privateKeyJwt`. */
  clientSecret?: string;
  privateKeyJwt?: CryptoKey | { key: CryptoKey; kid?: string };
  /**
   * How the user is named to the provider: `'iss_sub'` (Auth0's `{"format":"iss_sub","iss":…,"sub":…}` from the
   * session), `'sub'` (the bare subject), or a function. @default 'iss_sub'
   */
  loginHint?: 'iss_sub' | 'sub' | ((input: { session: SessionView }) => string);
  /** The audience of the access token that carries the approval; sent as `audience` and verified. Required here or per guard. */
  audience?: string;
  /** @default Auth0's: 1–64 characters of letters, digits, spaces and `+-_.,:#` */
  bindingMessageRules?: BindingMessageRules;
  /** JWS algorithms accepted on the returned token. @default ['ES256', 'RS256', 'PS256', 'EdDSA'] */
  algorithms?: readonly string[];
  /** Timeout of each HTTP request, in ms. @default 10000 */
  timeoutMs?: number;
  /** Allow `http:` (local development only). @default false */
  allowInsecureRequests?: boolean;
  fetch?: ApprovalsFetch;
}

/** Options of `createApprovals`. */
export interface ApprovalsOptions {
  /** Where records live; a shared store (`@agentgate/redis`) lets another process resume them. */
  store: Store;
  /** Where lifecycle events go (requested … consumed): the gate's sink or log, another one, or `false`. */
  audit: AuditSink | AuditLog | false;
  ciba?: CibaOptions;
  /**
   * A decision later than this many seconds after the request, or any background session, calls
   * `session.revalidate()` before the action runs. @default 300
   */
  revalidateAfterSeconds?: number;
  /** How long records (and the replay guard of a used approval) are kept, in seconds. @default 86400 */
  retentionSeconds?: number;
  /** Poll a CIBA request in this process as soon as it is made (interrupt mode too). @default true */
  pollInBackground?: boolean;
  /** How often a waiting call re-reads the store for a decision made in another process, in ms. @default 1000 */
  storePollIntervalMs?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

/** Input of `approvals.decide()`. */
export interface DecideOptions {
  /** The deciding user's session: only the same user (iss, sub and tenant) may decide. */
  session: AgentSession;
  decision: 'approve' | 'deny';
}

/** Filter of `approvals.list()`. */
export interface ListApprovalsFilter {
  sub?: string;
  status?: ApprovalStatus;
  channel?: ApprovalChannel;
}

/** What `approvals.resume()` did. */
export interface ResumeReport {
  /** How many pending records it drove. */
  readonly polled: number;
  readonly approved: number;
  readonly denied: number;
  readonly expired: number;
  readonly failed: number;
  /** Still pending when it returned (its signal aborted, or a transient provider failure). */
  readonly pending: number;
}

/** A background loop that resumes pending approvals periodically. */
export interface ApprovalWorker {
  /** Stops scanning and polling; resolves once the current scan ended. */
  stop(): Promise<void>;
}

/** The approvals: durable records, a guard of kind `approval`, and the ways to drive and decide them. */
export interface Approvals {
  /**
   * A guard (`kind: 'approval'`) that asks the user to approve this call and lets it run once. Put it last in the
   * guard list: it consumes the approval.
   *
   * @throws TypeError on invalid options (checked now)
   */
  guard<Args = unknown>(options: ApprovalGuardOptions<Args>): Guard<Args>;
  /** The approval with this id, or `undefined`. */
  get(id: string): Promise<ApprovalView | undefined>;
  /** Approvals still known to the store, oldest first. */
  list(filter?: ListApprovalsFilter): Promise<ApprovalView[]>;
  /**
   * Decides an in-app approval. Only a session of the same user (iss, sub and tenant) may.
   *
   * @throws GateDenied `FORBIDDEN` for another user's approval, an unknown id, a CIBA approval or one decided already
   */
  decide(id: string, options: DecideOptions): Promise<ApprovalView>;
  /** Polls every pending CIBA approval until each is settled (and expires overdue ones), e.g. after a restart. */
  resume(options?: { signal?: AbortSignal }): Promise<ResumeReport>;
  /** Runs `resume` every `intervalMs` (default 5000) until stopped. */
  startWorker(options?: { intervalMs?: number; onError?: (error: unknown) => void }): ApprovalWorker;
  /** Stops every poll this instance runs (records stay pending in the store). Idempotent. */
  close(): Promise<void>;
}
