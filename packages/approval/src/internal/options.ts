import {
  type AuditLog,
  type AuditSink,
  assertKnownOptions,
  createAuditLog,
  type Store,
} from '@agentgate/core';
import * as client from 'openid-client';
import type { ApprovalGuardOptions, ApprovalsOptions, BindingMessageRules, CibaOptions } from '../types';

const NAME = 'createApprovals';

/** Auth0's rules for `binding_message` (the dev server applies the same). */
export const AUTH0_BINDING_MESSAGE_RULES: BindingMessageRules = Object.freeze({
  maxLength: 64,
  pattern: /^[A-Za-z0-9 +\-_.,:#]+$/,
});

const DEFAULT_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];
const SYMMETRIC = /^(HS\d+|none)$/i;

export interface ResolvedCiba {
  issuer: string;
  clientId: string;
  clientAuthentication: client.ClientAuth;
  clientSecret: string | undefined;
  loginHint: NonNullable<CibaOptions['loginHint']>;
  audience: string | undefined;
  bindingMessageRules: BindingMessageRules;
  algorithms: string[];
  timeoutMs: number;
  allowInsecureRequests: boolean;
  fetch: client.CustomFetch;
}

export interface ResolvedOptions {
  store: Store;
  audit: AuditLog | undefined;
  ciba: ResolvedCiba | undefined;
  revalidateAfterSeconds: number;
  retentionSeconds: number;
  pollInBackground: boolean;
  storePollIntervalMs: number;
  now: () => number;
}

const KNOWN = [
  'store',
  'audit',
  'ciba',
  'revalidateAfterSeconds',
  'retentionSeconds',
  'pollInBackground',
  'storePollIntervalMs',
  'now',
] as const satisfies readonly (keyof ApprovalsOptions)[];

const KNOWN_CIBA = [
  'issuer',
  'clientId',
  'clientSecret',
  'privateKeyJwt',
  'loginHint',
  'audience',
  'bindingMessageRules',
  'algorithms',
  'timeoutMs',
  'allowInsecureRequests',
  'fetch',
] as const satisfies readonly (keyof CibaOptions)[];

const KNOWN_GUARD = [
  'channel',
  'mode',
  'details',
  'bindingMessage',
  'when',
  'scopes',
  'audience',
  'requestedExpiry',
  'timeoutMs',
  'name',
] as const satisfies readonly (keyof ApprovalGuardOptions)[];

/** Validates every option at creation: misuse is a TypeError now, not a failed call later. */
export function resolveOptions(options: ApprovalsOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${NAME}: options are required ({ store, audit, ciba?, … })`);
  }
  assertKnownOptions(NAME, options, KNOWN);
  const store = options.store as Partial<Store> | undefined;
  if (
    typeof store !== 'object' ||
    store === null ||
    !(['get', 'put', 'add', 'delete', 'take'] as const).every((method) => typeof store[method] === 'function')
  ) {
    throw new TypeError(
      `${NAME}: options.store must be a Store (get, put, add, delete, take), e.g. new MemoryStore()`,
    );
  }
  if (options.audit === undefined || options.audit === null) {
    throw new TypeError(`${NAME}: options.audit is required (the gate's sink or log, another one, or false)`);
  }
  if (options.pollInBackground !== undefined && typeof options.pollInBackground !== 'boolean') {
    throw new TypeError(`${NAME}: options.pollInBackground must be a boolean`);
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError(`${NAME}: options.now must be a function`);
  }
  const retentionSeconds = positive(options.retentionSeconds, 86_400, 'retentionSeconds');
  return {
    store: options.store,
    audit: toAuditLog(options.audit),
    ciba: options.ciba === undefined ? undefined : resolveCiba(options.ciba),
    revalidateAfterSeconds: positive(options.revalidateAfterSeconds, 300, 'revalidateAfterSeconds', true),
    retentionSeconds,
    pollInBackground: options.pollInBackground ?? true,
    storePollIntervalMs: positive(options.storePollIntervalMs, 1000, 'storePollIntervalMs'),
    now: options.now ?? Date.now,
  };
}

function toAuditLog(audit: AuditSink | AuditLog | false): AuditLog | undefined {
  if (audit === false) return undefined;
  if (typeof (audit as AuditLog).append === 'function') return audit as AuditLog;
  if (typeof (audit as AuditSink).write === 'function') return createAuditLog({ sink: audit as AuditSink });
  throw new TypeError(`${NAME}: options.audit must be an AuditSink, an AuditLog or false`);
}

function resolveCiba(ciba: CibaOptions): ResolvedCiba {
  assertKnownOptions(NAME, ciba, KNOWN_CIBA, 'options.ciba');
  const issuer = ciba.issuer instanceof URL ? ciba.issuer.href : ciba.issuer;
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    throw new TypeError(`${NAME}: options.ciba.issuer must be an absolute URL (string or URL)`);
  }
  if (ciba.allowInsecureRequests !== undefined && typeof ciba.allowInsecureRequests !== 'boolean') {
    throw new TypeError(`${NAME}: options.ciba.allowInsecureRequests must be a boolean`);
  }
  if (new URL(issuer).protocol !== 'https:' && ciba.allowInsecureRequests !== true) {
    throw new TypeError(
      `${NAME}: options.ciba.issuer must be https (set allowInsecureRequests for local http)`,
    );
  }
  if (typeof ciba.clientId !== 'string' || ciba.clientId.length === 0) {
    throw new TypeError(`${NAME}: options.ciba.clientId must be a non-empty string`);
  }
  const loginHint = ciba.loginHint ?? 'iss_sub';
  if (loginHint !== 'iss_sub' && loginHint !== 'sub' && typeof loginHint !== 'function') {
    throw new TypeError(`${NAME}: options.ciba.loginHint must be 'iss_sub', 'sub' or a function`);
  }
  if (ciba.audience !== undefined && (typeof ciba.audience !== 'string' || ciba.audience.length === 0)) {
    throw new TypeError(`${NAME}: options.ciba.audience must be a non-empty string`);
  }
  const rules = ciba.bindingMessageRules ?? AUTH0_BINDING_MESSAGE_RULES;
  if (
    typeof rules !== 'object' ||
    rules === null ||
    !(rules.pattern instanceof RegExp) ||
    !Number.isInteger(rules.maxLength) ||
    rules.maxLength < 1
  ) {
    throw new TypeError(
      `${NAME}: options.ciba.bindingMessageRules must be { maxLength: integer ≥ 1, pattern: RegExp }`,
    );
  }
  assertKnownOptions(NAME, rules, ['maxLength', 'pattern'], 'options.ciba.bindingMessageRules');
  const algorithms = ciba.algorithms === undefined ? DEFAULT_ALGORITHMS : [...ciba.algorithms];
  if (
    algorithms.length === 0 ||
    algorithms.some((algorithm) => typeof algorithm !== 'string' || SYMMETRIC.test(algorithm))
  ) {
    throw new TypeError(
      `${NAME}: options.ciba.algorithms must be asymmetric JWS algorithms (never HS* or none)`,
    );
  }
  if (ciba.fetch !== undefined && typeof ciba.fetch !== 'function') {
    throw new TypeError(`${NAME}: options.ciba.fetch must be a function`);
  }
  const customFetch = ciba.fetch ?? fetch;
  return {
    issuer,
    clientId: ciba.clientId,
    clientAuthentication: clientAuthentication(ciba),
    clientSecret: ciba.clientSecret,
    loginHint,
    audience: ciba.audience,
    bindingMessageRules: rules,
    algorithms,
    timeoutMs: positive(ciba.timeoutMs, 10_000, 'ciba.timeoutMs'),
    allowInsecureRequests: ciba.allowInsecureRequests ?? false,
    fetch: (url, init) => customFetch(url, init as RequestInit),
  };
}

function clientAuthentication(ciba: CibaOptions): client.ClientAuth {
  const hasSecret = ciba.clientSecret !== undefined;
  if (hasSecret === (ciba.privateKeyJwt !== undefined)) {
    throw new TypeError(
      `${NAME}: give exactly one of options.ciba.clientSecret and options.ciba.privateKeyJwt`,
    );
  }
  if (hasSecret) {
    if (typeof ciba.clientSecret !== 'string' || ciba.clientSecret.length === 0) {
      throw new TypeError(`${NAME}: options.ciba.clientSecret must be a non-empty string`);
    }
    return client.ClientSecretPost(ciba.clientSecret);
  }
  const key = ciba.privateKeyJwt;
  if (typeof key === 'object' && key !== null && !(key instanceof CryptoKey)) {
    assertKnownOptions(NAME, key, ['key', 'kid'], 'options.ciba.privateKeyJwt');
  }
  const cryptoKey = key instanceof CryptoKey ? key : key?.key;
  if (!(cryptoKey instanceof CryptoKey) || cryptoKey.type !== 'private') {
    throw new TypeError(`${NAME}: options.ciba.privateKeyJwt must be a private CryptoKey or { key, kid? }`);
  }
  return client.PrivateKeyJwt(key as CryptoKey | { key: CryptoKey; kid?: string });
}

/** The guard's options after validation. */
export interface ResolvedGuardOptions<Args> {
  channel: 'ciba' | 'in-app';
  mode: 'wait' | 'interrupt';
  details: ApprovalGuardOptions<Args>['details'];
  bindingMessage: ApprovalGuardOptions<Args>['bindingMessage'];
  when: ApprovalGuardOptions<Args>['when'];
  scopes: string[];
  audience: string | undefined;
  requestedExpiry: number;
  timeoutMs: number | undefined;
  name: string;
}

/** Validates `approvals.guard()` options now (a TypeError at creation, never at the first call). */
export function resolveGuardOptions<Args>(
  options: ApprovalGuardOptions<Args>,
  ciba: ResolvedCiba | undefined,
  retentionSeconds: number,
): ResolvedGuardOptions<Args> {
  const where = 'approvals.guard';
  assertKnownOptions(where, options, KNOWN_GUARD);
  if (options.channel !== 'ciba' && options.channel !== 'in-app') {
    throw new TypeError(`${where}: options.channel must be 'ciba' or 'in-app'`);
  }
  if (options.mode !== 'wait' && options.mode !== 'interrupt') {
    throw new TypeError(`${where}: options.mode must be 'wait' or 'interrupt'`);
  }
  for (const name of ['details', 'bindingMessage'] as const) {
    if (typeof options[name] !== 'function')
      throw new TypeError(`${where}: options.${name} must be a function`);
  }
  if (options.when !== undefined && typeof options.when !== 'function') {
    throw new TypeError(`${where}: options.when must be a function`);
  }
  const scopes = options.scopes === undefined ? ['openid'] : [...options.scopes];
  if (
    scopes.length === 0 ||
    scopes.some((scope) => typeof scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))
  ) {
    throw new TypeError(`${where}: options.scopes must be a non-empty list of scope tokens`);
  }
  if (
    options.audience !== undefined &&
    (typeof options.audience !== 'string' || options.audience.length === 0)
  ) {
    throw new TypeError(`${where}: options.audience must be a non-empty string`);
  }
  const requestedExpiry = options.requestedExpiry ?? 300;
  if (!Number.isInteger(requestedExpiry) || requestedExpiry < 1 || requestedExpiry >= retentionSeconds) {
    throw new TypeError(
      `${where}: options.requestedExpiry must be a whole number of seconds ≥ 1 and below retentionSeconds (${retentionSeconds})`,
    );
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new TypeError(`${where}: options.timeoutMs must be a positive number of milliseconds`);
  }
  if (options.timeoutMs !== undefined && options.mode !== 'wait') {
    throw new TypeError(`${where}: options.timeoutMs applies only to mode 'wait'`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw new TypeError(`${where}: options.name must be a non-empty string`);
  }
  const audience = options.audience ?? ciba?.audience;
  if (options.channel === 'ciba') {
    if (!ciba)
      throw new TypeError(
        `${where}: channel 'ciba' needs createApprovals({ ciba: { issuer, clientId, … } })`,
      );
    if (audience === undefined) {
      throw new TypeError(
        `${where}: channel 'ciba' needs an audience (options.audience or ciba.audience): the returned token is verified for it`,
      );
    }
  } else {
    for (const name of ['scopes', 'audience'] as const) {
      if (options[name] !== undefined)
        throw new TypeError(`${where}: options.${name} applies only to channel 'ciba'`);
    }
  }
  return {
    channel: options.channel,
    mode: options.mode,
    details: options.details,
    bindingMessage: options.bindingMessage,
    when: options.when,
    scopes,
    audience,
    requestedExpiry,
    timeoutMs: options.timeoutMs,
    name: options.name ?? `approval(${options.channel})`,
  };
}

function positive(value: number | undefined, fallback: number, name: string, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(
      `${NAME}: options.${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  }
  return value;
}
