import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { GateDenied } from './errors';
import { assertKnownOptions } from './options';

const SESSION_OPTIONS = [
  'sub',
  'iss',
  'id',
  'email',
  'name',
  'tenant',
  'roles',
  'scopes',
  'authTime',
  'acr',
  'amr',
  'mode',
  'agent',
  'subjectToken',
  'revalidate',
] as const;

/** The verified user an agent run acts for. */
export interface SessionUser {
  sub: string;
  iss: string;
  email?: string;
  name?: string;
}

/**
 * One agent run, bound to a verified user. Created by `@agentgate/identity` from a verified access token or an OIDC
 * login (or by {@link createSession} in tests). Identity never comes from tool arguments.
 */
export interface AgentSession {
  /** Stable per agent run or thread. */
  readonly id: string;
  readonly user: SessionUser;
  /** Organisation or tenant id, when the identity provider has one. */
  readonly tenant?: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /** Seconds since the epoch of the user's last authentication. */
  readonly authTime?: number;
  readonly acr?: string;
  readonly amr?: readonly string[];
  readonly mode: 'interactive' | 'background';
  readonly agent?: { id: string; clientId?: string };
  /** The user's token for token exchange. Never handed to a tool or the model. */
  readonly subjectToken: (options?: {
    type?: 'access_token' | 'refresh_token';
    signal?: AbortSignal;
  }) => Promise<string>;
  /**
   * Re-checks, just in time, that the session still stands (refresh or introspection) before a deferred action runs.
   * Throws `GateInterrupt('STEP_UP_REQUIRED')` or `GateDenied('NO_SESSION')` when it does not.
   */
  readonly revalidate?: (options?: { signal?: AbortSignal }) => Promise<void>;
}

/** What a tool may know of the session: everything but the subject token and revalidation. */
export type SessionView = Omit<AgentSession, 'subjectToken' | 'revalidate'>;

/** Input of {@link createSession}: only `sub` is required. */
export interface CreateSessionOptions {
  sub: string;
  iss?: string;
  id?: string;
  email?: string;
  name?: string;
  tenant?: string;
  roles?: readonly string[];
  scopes?: readonly string[];
  authTime?: number;
  acr?: string;
  amr?: readonly string[];
  mode?: 'interactive' | 'background';
  agent?: { id: string; clientId?: string };
  subjectToken?: string | AgentSession['subjectToken'];
  revalidate?: AgentSession['revalidate'];
}

/**
 * Builds a session by hand — for tests, scripts and servers that verified the user some other way.
 *
 * @example const session = createSession({ sub: 'user-1', scopes: ['calendar:read'] });
 */
export function createSession(options: CreateSessionOptions): AgentSession {
  if (typeof options?.sub !== 'string' || options.sub.length === 0) {
    throw new TypeError('createSession: options.sub must be a non-empty string');
  }
  assertKnownOptions('createSession', options, SESSION_OPTIONS);
  for (const name of ['iss', 'id', 'email', 'name', 'tenant', 'acr'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'string') {
      throw new TypeError(`createSession: options.${name} must be a string`);
    }
  }
  for (const name of ['roles', 'scopes', 'amr'] as const) {
    const list: unknown = options[name];
    if (list !== undefined && (!Array.isArray(list) || list.some((item) => typeof item !== 'string'))) {
      throw new TypeError(
        `createSession: options.${name} must be an array of strings${typeof list === 'string' ? ` (split '${list}' into one entry each)` : ''}`,
      );
    }
  }
  if (options.authTime !== undefined && !(Number.isFinite(options.authTime) && options.authTime >= 0)) {
    throw new TypeError('createSession: options.authTime must be seconds since the epoch');
  }
  if (options.mode !== undefined && options.mode !== 'interactive' && options.mode !== 'background') {
    throw new TypeError("createSession: options.mode must be 'interactive' or 'background'");
  }
  if (options.agent !== undefined && typeof options.agent?.id !== 'string') {
    throw new TypeError('createSession: options.agent must be { id: string, clientId?: string }');
  }
  for (const name of ['revalidate'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`createSession: options.${name} must be a function`);
    }
  }
  if (
    options.subjectToken !== undefined &&
    typeof options.subjectToken !== 'string' &&
    typeof options.subjectToken !== 'function'
  ) {
    throw new TypeError('createSession: options.subjectToken must be a string or a function');
  }
  const { subjectToken } = options;
  return Object.freeze({
    id: options.id ?? randomUUID(),
    user: Object.freeze({
      sub: options.sub,
      iss: options.iss ?? 'urn:agentgate:local',
      ...(options.email === undefined ? {} : { email: options.email }),
      ...(options.name === undefined ? {} : { name: options.name }),
    }),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    roles: Object.freeze([...(options.roles ?? [])]),
    scopes: Object.freeze([...(options.scopes ?? [])]),
    ...(options.authTime === undefined ? {} : { authTime: options.authTime }),
    ...(options.acr === undefined ? {} : { acr: options.acr }),
    ...(options.amr === undefined ? {} : { amr: Object.freeze([...options.amr]) }),
    mode: options.mode ?? 'interactive',
    ...(options.agent === undefined ? {} : { agent: Object.freeze({ ...options.agent }) }),
    subjectToken:
      typeof subjectToken === 'function'
        ? subjectToken
        : async () => {
            if (subjectToken === undefined) {
              throw new GateDenied('NO_SESSION', `session for '${options.sub}' has no subject token`);
            }
            return subjectToken;
          },
    ...(options.revalidate === undefined ? {} : { revalidate: options.revalidate }),
  });
}

/**
 * Whether `value` is a well-formed session: every field {@link AgentSession} declares, of its type. Sessions from
 * {@link createSession} and `@agentgate/identity` always are; the gate refuses anything else as `NO_SESSION`, on record,
 * and the adapters check a session they are handed the same way. Never throws.
 */
export function isAgentSession(value: unknown): value is AgentSession {
  return sessionProblem(value) === undefined;
}

/** Internal: what makes `value` no session (a field and what it must be), or `undefined` for a session. Never throws. */
export function sessionProblem(value: unknown): string | undefined {
  try {
    if (typeof value !== 'object' || value === null) return 'it is not an object';
    const session = value as { readonly [field: string]: unknown };
    if (typeof session.id !== 'string' || session.id.length === 0) return 'id must be a non-empty string';
    const user = session.user as { readonly [field: string]: unknown } | null | undefined;
    if (typeof user !== 'object' || user === null) return 'user must be an object';
    if (typeof user.sub !== 'string' || user.sub.length === 0) return 'user.sub must be a non-empty string';
    if (typeof user.iss !== 'string') return 'user.iss must be a string';
    for (const field of ['email', 'name'] as const) {
      if (user[field] !== undefined && typeof user[field] !== 'string')
        return `user.${field} must be a string`;
    }
    for (const field of ['tenant', 'acr'] as const) {
      if (session[field] !== undefined && typeof session[field] !== 'string')
        return `${field} must be a string`;
    }
    for (const field of ['roles', 'scopes'] as const) {
      if (!isStringList(session[field])) return `${field} must be an array of strings`;
    }
    if (session.amr !== undefined && !isStringList(session.amr)) return 'amr must be an array of strings';
    if (session.authTime !== undefined && !Number.isFinite(session.authTime))
      return 'authTime must be a number';
    if (session.mode !== 'interactive' && session.mode !== 'background') {
      return "mode must be 'interactive' or 'background'";
    }
    const agent = session.agent as { readonly [field: string]: unknown } | null | undefined;
    if (
      agent !== undefined &&
      (typeof agent !== 'object' || agent === null || typeof agent.id !== 'string')
    ) {
      return 'agent must be { id: string }';
    }
    if (typeof session.subjectToken !== 'function') return 'subjectToken must be a function';
    if (session.revalidate !== undefined && typeof session.revalidate !== 'function') {
      return 'revalidate must be a function';
    }
    return undefined;
  } catch {
    return 'reading it threw';
  }
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * The tool-safe view of a session: no subject token, no revalidation hook, and a frozen copy throughout, so a tool
 * cannot change whom later calls act for, even on a session object built by hand.
 */
export function toSessionView(session: AgentSession): SessionView {
  const { subjectToken: _subjectToken, revalidate: _revalidate, ...view } = session;
  return Object.freeze({
    ...view,
    user: Object.freeze({ ...view.user }),
    roles: Object.freeze([...view.roles]),
    scopes: Object.freeze([...view.scopes]),
    ...(view.amr === undefined ? {} : { amr: Object.freeze([...view.amr]) }),
    ...(view.agent === undefined ? {} : { agent: Object.freeze({ ...view.agent }) }),
  });
}

const sessionStorage = new AsyncLocalStorage<AgentSession>();

/**
 * Runs `fn` with `session` as the current session: every gated call inside, however deep, acts for it.
 *
 * @example await runWithSession(session, () => agent.invoke(input));
 */
export function runWithSession<T>(session: AgentSession, fn: () => T): T {
  return sessionStorage.run(session, fn);
}

/** The session of the current async context, or `undefined`. */
export function currentSession(): AgentSession | undefined {
  return sessionStorage.getStore();
}

/** The session of the current async context. @throws GateDenied `NO_SESSION` when there is none. */
export function requireSession(): AgentSession {
  const session = sessionStorage.getStore();
  if (!session)
    throw new GateDenied(
      'NO_SESSION',
      'no AgentGate session in this context: wrap the run in runWithSession()',
    );
  return session;
}
