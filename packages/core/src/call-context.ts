import { AsyncLocalStorage } from 'node:async_hooks';
import { GateDenied } from './errors';
import type { SessionView } from './session';

/** What a tool sees of the call it runs in: the user (never their token), the call, and the credentials guards added. */
export interface ExecutionContext {
  readonly session: SessionView;
  readonly tool: string;
  readonly callId: string;
  readonly argsDigest: string;
  readonly credentials: ReadonlyMap<string, unknown>;
  readonly signal?: AbortSignal;
}

const callStorage = new AsyncLocalStorage<ExecutionContext>();

/** @internal Runs a tool body inside its call scope. */
export function runInCall<T>(context: ExecutionContext, fn: () => T): T {
  return callStorage.run(context, fn);
}

/** The context of the gated tool call running now, or `undefined` outside one. */
export function currentCall(): ExecutionContext | undefined {
  return callStorage.getStore();
}

/**
 * Reads a credential a guard attached to the current call (e.g. the token `vault.guard()` fetched for a connection).
 *
 * @throws GateDenied `FORBIDDEN` outside a gated call or when no guard attached `key` — the tool must not run
 * without the credential its guards were meant to provide.
 * @example const token = getCredential<string>('connection:acme-calendar');
 */
export function getCredential<T = unknown>(key: string): T {
  const call = callStorage.getStore();
  if (!call) throw new GateDenied('FORBIDDEN', `getCredential('${key}') called outside a gated tool call`);
  if (!call.credentials.has(key)) {
    throw new GateDenied(
      'FORBIDDEN',
      `no guard attached the credential '${key}' to the call of '${call.tool}'`,
    );
  }
  return call.credentials.get(key) as T;
}
