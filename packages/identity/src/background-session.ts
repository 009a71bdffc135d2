import { randomUUID } from 'node:crypto';
import {
  AgentGateError,
  type AgentSession,
  assertKnownOptions,
  createSession,
  raceAbort,
  type Store,
  type StorePutOptions,
} from '@agentgate/core';
import { LoginFailed } from './errors';
import type { Login, LoginResult, LoginTokens } from './login';

/** What a background session keeps in its store. Holds tokens: the store must be trusted (e.g. encrypted Redis). */
interface BackgroundRecord {
  sub: string;
  iss: string;
  refreshToken: string;
  accessToken: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Options of {@link createBackgroundSession}. */
export interface CreateBackgroundSessionOptions {
  /** The login that issued the tokens; it refreshes them. */
  login: Login;
  /** Where the refresh token lives (never in the session object). */
  store: Store;
  /** The tokens of a login with `offline_access`; must carry a refresh token. */
  tokens: LoginTokens;
  /**
   * The session `handleCallback` returned with these tokens: its ID-token facts (`authTime`, `acr`, `amr`, email,
   * name) carry over, since access tokens often lack them. Must name the same user (`sub` and `iss`).
   */
  session?: AgentSession;
  /**
   * The id under which the tokens are stored, and by which {@link resumeBackgroundSession} finds them again. Whoever
   * knows it can resume the session: keep the default (a random UUID) or another unguessable value, and do not take
   * it from a request without checking whose it is.
   *
   * @default a random UUID
   */
  sessionId?: string;
  /** Drop the stored tokens after this many seconds (e.g. the refresh token's lifetime). @default kept until deleted */
  ttlSeconds?: number;
  signal?: AbortSignal;
}

/** Options of {@link resumeBackgroundSession}. */
export interface ResumeBackgroundSessionOptions {
  login: Login;
  store: Store;
  /** The id the session was created with. Resuming by id alone trusts whoever chose the id: pass `expectedSub`. */
  sessionId: string;
  /**
   * The user the caller expects the session to act for (e.g. the signed-in user who asks to resume it). When the
   * stored session names another user, resuming fails with `LoginFailed('subject_mismatch')` and the stored grant is
   * neither redeemed nor changed.
   */
  expectedSub?: string;
  /** The issuer the caller expects the session's user to come from; checked like `expectedSub`. */
  expectedIss?: string;
  ttlSeconds?: number;
  signal?: AbortSignal;
}

/** The store key of a background session's tokens. */
export function backgroundSessionKey(sessionId: string): string {
  return `agentgate:identity:background:${sessionId}`;
}

const inFlight = new WeakMap<Store, Map<string, Promise<LoginResult>>>();

/**
 * How long one shared refresh may take. It runs on no caller's signal (a caller that gives up must not cancel a
 * refresh the provider may already have rotated), so this bounds it instead.
 */
const SHARED_REFRESH_TIMEOUT_MS = 30_000;

/**
 * Starts a background session (`mode: 'background'`) from a login's tokens: verifies the access token, puts the
 * refresh token in `store`, and returns a session whose `revalidate()` redeems it just before a deferred action
 * (storing the rotated one) and whose `subjectToken({ type: 'refresh_token' })` reads it from the store.
 * A revoked or expired grant makes `revalidate()` throw `LoginFailed` (`NO_SESSION`): the action does not run.
 *
 * @throws TypeError on a malformed or unknown option (e.g. tokens without a refresh token); TokenVerificationFailed when the access token does not verify
 * @example
 * const session = await createBackgroundSession({ login, store, tokens });
 * gate.protect(tool, [requireActiveSession(), requireScopes('reports:send')], run);
 */
export async function createBackgroundSession(
  options: CreateBackgroundSessionOptions,
): Promise<AgentSession> {
  const where = 'createBackgroundSession';
  const { login, store, tokens } = checkCommon(where, options, [
    'login',
    'store',
    'tokens',
    'session',
    'sessionId',
    'ttlSeconds',
    'signal',
  ]);
  if (typeof tokens !== 'object' || tokens === null) {
    throw new TypeError(
      `${where}: options.tokens must be the tokens of a login (handleCallback's result.tokens)`,
    );
  }
  if (typeof tokens.accessToken !== 'string' || tokens.accessToken.length === 0) {
    throw new TypeError(`${where}: options.tokens.accessToken must be a non-empty string`);
  }
  if (typeof tokens.refreshToken !== 'string' || tokens.refreshToken.length === 0) {
    throw new TypeError(
      `${where}: options.tokens.refreshToken is required (ask for the offline_access scope, with prompt: 'consent' where the provider requires it)`,
    );
  }
  if (typeof tokens.expiresAt !== 'number' || !Number.isFinite(tokens.expiresAt)) {
    throw new TypeError(`${where}: options.tokens.expiresAt must be epoch seconds`);
  }
  if (
    options.session !== undefined &&
    (typeof options.session?.user?.sub !== 'string' || typeof options.session.user.iss !== 'string')
  ) {
    throw new TypeError(`${where}: options.session must be the session handleCallback returned`);
  }
  const sessionId = options.sessionId ?? randomUUID();
  const verified = await login.verifyAccessToken(tokens.accessToken, {
    sessionId,
    mode: 'background',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const loginSession = options.session;
  if (
    loginSession !== undefined &&
    (loginSession.user.sub !== verified.user.sub || loginSession.user.iss !== verified.user.iss)
  ) {
    throw new TypeError(
      'createBackgroundSession: options.session names another user (sub or iss) than the access token',
    );
  }
  const record: BackgroundRecord = {
    sub: verified.user.sub,
    iss: verified.user.iss,
    refreshToken: tokens.refreshToken,
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt,
  };
  await store.put(backgroundSessionKey(sessionId), record, putOptions(options.ttlSeconds));
  const withLoginFacts: AgentSession =
    loginSession === undefined
      ? verified
      : {
          ...verified,
          user: { ...verified.user, ...pickUser(loginSession) },
          ...(loginSession.authTime === undefined ? {} : { authTime: loginSession.authTime }),
          ...(loginSession.acr === undefined ? {} : { acr: loginSession.acr }),
          ...(loginSession.amr === undefined ? {} : { amr: loginSession.amr }),
        };
  return bind(withLoginFacts, { login, store, sessionId, ttlSeconds: options.ttlSeconds });
}

/**
 * Picks a background session up again (another process, hours later) from its stored refresh token: redeems it and
 * returns the session of the fresh access token. The id alone selects the stored grant, so it must be unguessable
 * (the default random UUID is) or checked: pass `expectedSub` (and `expectedIss`) to refuse another user's session.
 *
 * @throws LoginFailed (`NO_SESSION`) when nothing is stored under `sessionId`, the grant was revoked or expired, or the
 * stored session names another user than `expectedSub` / `expectedIss` (`subject_mismatch`)
 * @example
 * const session = await resumeBackgroundSession({ login, store, sessionId, expectedSub: user.sub });
 */
export async function resumeBackgroundSession(
  options: ResumeBackgroundSessionOptions,
): Promise<AgentSession> {
  const { login, store } = checkCommon('resumeBackgroundSession', options, [
    'login',
    'store',
    'sessionId',
    'expectedSub',
    'expectedIss',
    'ttlSeconds',
    'signal',
  ]);
  if (typeof options.sessionId !== 'string' || options.sessionId.length === 0) {
    throw new TypeError('resumeBackgroundSession: options.sessionId must be a non-empty string');
  }
  for (const name of ['expectedSub', 'expectedIss'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new TypeError(`resumeBackgroundSession: options.${name} must be a non-empty string`);
    }
  }
  const binding = { login, store, sessionId: options.sessionId, ttlSeconds: options.ttlSeconds };
  if (options.expectedSub !== undefined || options.expectedIss !== undefined) {
    options.signal?.throwIfAborted();
    const record = await readRecord(store, backgroundSessionKey(options.sessionId), options.sessionId);
    if (
      (options.expectedSub !== undefined && record.sub !== options.expectedSub) ||
      (options.expectedIss !== undefined && record.iss !== options.expectedIss)
    ) {
      throw new LoginFailed(
        'subject_mismatch',
        `background session '${options.sessionId}' belongs to another user than expected`,
      );
    }
  }
  const result = await refreshStored(binding, options.signal);
  return bind(result.session, binding);
}

function pickUser(session: AgentSession): { email?: string; name?: string } {
  return {
    ...(session.user.email === undefined ? {} : { email: session.user.email }),
    ...(session.user.name === undefined ? {} : { name: session.user.name }),
  };
}

interface Binding {
  login: Login;
  store: Store;
  sessionId: string;
  ttlSeconds: number | undefined;
}

function bind(verified: AgentSession, binding: Binding): AgentSession {
  const key = backgroundSessionKey(binding.sessionId);
  return createSession({
    id: binding.sessionId,
    sub: verified.user.sub,
    iss: verified.user.iss,
    ...(verified.user.email === undefined ? {} : { email: verified.user.email }),
    ...(verified.user.name === undefined ? {} : { name: verified.user.name }),
    ...(verified.tenant === undefined ? {} : { tenant: verified.tenant }),
    roles: verified.roles,
    scopes: verified.scopes,
    ...(verified.authTime === undefined ? {} : { authTime: verified.authTime }),
    ...(verified.acr === undefined ? {} : { acr: verified.acr }),
    ...(verified.amr === undefined ? {} : { amr: verified.amr }),
    ...(verified.agent === undefined ? {} : { agent: verified.agent }),
    mode: 'background',
    subjectToken: async (options) => {
      let record = await readRecord(binding.store, key, binding.sessionId);
      if (options?.type === 'refresh_token') return record.refreshToken;
      if (record.expiresAt <= Math.floor(Date.now() / 1000) + 30) {
        await refreshStored(binding, options?.signal);
        record = await readRecord(binding.store, key, binding.sessionId);
      }
      return record.accessToken;
    },
    revalidate: async (options) => {
      const { session } = await refreshStored(binding, options?.signal);
      const narrowed =
        session.tenant !== verified.tenant ||
        verified.scopes.some((scope) => !session.scopes.includes(scope)) ||
        verified.roles.some((role) => !session.roles.includes(role));
      if (narrowed) {
        throw new LoginFailed(
          'session_changed',
          `the grant of '${verified.user.sub}' changed (tenant, roles or scopes narrowed): start a new session`,
        );
      }
    },
  });
}

/**
 * Redeems the stored refresh token once per session at a time, and stores the rotated one. The shared refresh runs on
 * no caller's signal, bounded by {@link SHARED_REFRESH_TIMEOUT_MS}; each caller races its own signal against it, so a
 * caller that gives up stops waiting without cancelling a refresh whose rotated token the others (and later calls)
 * need.
 */
function refreshStored(binding: Binding, signal: AbortSignal | undefined): Promise<LoginResult> {
  signal?.throwIfAborted();
  let byId = inFlight.get(binding.store);
  if (byId === undefined) {
    byId = new Map();
    inFlight.set(binding.store, byId);
  }
  let running = byId.get(binding.sessionId);
  if (running === undefined) {
    const refresh = runRefresh(binding);
    const sessions = byId;
    const forget = () => {
      if (sessions.get(binding.sessionId) === refresh) sessions.delete(binding.sessionId);
    };
    refresh.then(forget, forget);
    sessions.set(binding.sessionId, refresh);
    running = refresh;
  }
  return raceAbort(running, signal);
}

async function runRefresh(binding: Binding): Promise<LoginResult> {
  const key = backgroundSessionKey(binding.sessionId);
  const timeout = AbortSignal.timeout(SHARED_REFRESH_TIMEOUT_MS);
  const record = await readRecord(binding.store, key, binding.sessionId);
  let result: LoginResult;
  try {
    result = await binding.login.refresh(record.refreshToken, {
      sessionId: binding.sessionId,
      mode: 'background',
      signal: timeout,
      // Stored before the new access token is verified: once rotated, the old refresh token is dead.
      onRotated: (refreshToken) =>
        binding.store.put(key, { ...record, refreshToken }, putOptions(binding.ttlSeconds)),
    });
  } catch (error) {
    // A rejected grant is dead for good: forget it, so no later call tries it again.
    if (LoginFailed.isInstance(error) && error.reason === 'invalid_grant') await binding.store.delete(key);
    if (timeout.aborted && !AgentGateError.isInstance(error)) {
      throw new LoginFailed(
        'unavailable',
        `refreshing background session '${binding.sessionId}' took longer than ${SHARED_REFRESH_TIMEOUT_MS} ms`,
        { cause: error },
      );
    }
    throw error;
  }
  if (result.session.user.sub !== record.sub || result.session.user.iss !== record.iss) {
    await binding.store.delete(key);
    throw new LoginFailed('subject_mismatch', 'the refreshed token names another user');
  }
  const next: BackgroundRecord = {
    ...record,
    refreshToken: result.tokens.refreshToken ?? record.refreshToken,
    accessToken: result.tokens.accessToken,
    expiresAt: result.tokens.expiresAt,
  };
  await binding.store.put(key, next, putOptions(binding.ttlSeconds));
  return result;
}

async function readRecord(store: Store, key: string, sessionId: string): Promise<BackgroundRecord> {
  const record = await store.get<BackgroundRecord>(key);
  if (record === undefined || typeof record.refreshToken !== 'string') {
    throw new LoginFailed(
      'missing_refresh_token',
      `no stored grant for background session '${sessionId}' (revoked, expired or never stored)`,
    );
  }
  return record;
}

function putOptions(ttlSeconds: number | undefined): StorePutOptions | undefined {
  return ttlSeconds === undefined ? undefined : { ttlSeconds };
}

function checkCommon<
  Options extends {
    login: Login;
    store: Store;
    ttlSeconds?: number;
    sessionId?: string;
    signal?: AbortSignal;
  },
>(where: string, options: Options, known: readonly (keyof Options & string)[]): Options {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options are required ({ login, store, … })`);
  }
  assertKnownOptions(where, options, known);
  if (
    options.sessionId !== undefined &&
    (typeof options.sessionId !== 'string' || options.sessionId.length === 0)
  ) {
    throw new TypeError(`${where}: options.sessionId must be a non-empty string`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: options.signal must be an AbortSignal`);
  }
  if (typeof options.login?.refresh !== 'function')
    throw new TypeError(`${where}: options.login must come from createLogin()`);
  if (
    typeof options.store?.get !== 'function' ||
    typeof options.store.put !== 'function' ||
    typeof options.store.delete !== 'function'
  ) {
    throw new TypeError(`${where}: options.store must be a Store (e.g. new MemoryStore())`);
  }
  if (options.ttlSeconds !== undefined && !(Number.isFinite(options.ttlSeconds) && options.ttlSeconds > 0)) {
    throw new TypeError(`${where}: options.ttlSeconds must be a positive number`);
  }
  return options;
}
