import { assertKnownOptions, defineGuard, GateInterrupt, type Guard, isGateInterrupt } from '@agentgate/core';

/** Options of {@link requireFreshAuth}. */
export interface RequireFreshAuthOptions {
  /** Longest time since the user last authenticated, in seconds (the OIDC `max_age`). */
  maxAgeSeconds: number;
  /** Authentication context class(es) accepted; the session's `acr` must be one. Sent as `acr_values` on step-up. */
  acr?: string | readonly string[];
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

/** What a `STEP_UP_REQUIRED` interrupt from {@link requireFreshAuth} carries in `details`. */
export interface StepUpDetails {
  reason: 'auth_time_missing' | 'stale' | 'acr';
  maxAgeSeconds: number;
  acr?: readonly string[];
  /** Authorization request parameters for the re-authentication: `max_age` and, if asked, `acr_values`. */
  authorizationParams: { max_age: string; acr_values?: string };
}

/**
 * Allows the call only when the user authenticated recently enough (and, if asked, at the required level). Otherwise
 * interrupts, so the app can send the user through a login with `max_age` / `acr_values`
 * (`login.createAuthorization({ maxAge, acrValues })`) and retry with the fresh session.
 *
 * @throws GateInterrupt `STEP_UP_REQUIRED` with {@link StepUpDetails} in `details`
 * @example requireFreshAuth({ maxAgeSeconds: 300, acr: 'urn:agentgate:loa:2' })
 */
export function requireFreshAuth(options: RequireFreshAuthOptions): Guard {
  const where = 'requireFreshAuth';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: pass options, e.g. requireFreshAuth({ maxAgeSeconds: 300 })`);
  }
  assertKnownOptions(where, options, ['maxAgeSeconds', 'acr', 'now']);
  const { maxAgeSeconds } = options;
  if (typeof maxAgeSeconds !== 'number' || !Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(`${where}: options.maxAgeSeconds must be a non-negative integer of seconds`);
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError(`${where}: options.now must be a function returning epoch milliseconds`);
  }
  const acr =
    options.acr === undefined
      ? undefined
      : typeof options.acr === 'string'
        ? [options.acr]
        : [...options.acr];
  if (
    acr !== undefined &&
    (acr.length === 0 || acr.some((value) => typeof value !== 'string' || value.length === 0))
  ) {
    throw new TypeError(`${where}: options.acr must be a non-empty string or list of strings`);
  }
  const now = options.now ?? Date.now;
  const name = `requireFreshAuth(${maxAgeSeconds}s${acr === undefined ? '' : ` ${acr.join(' ')}`})`;
  const authorizationParams = {
    max_age: String(maxAgeSeconds),
    ...(acr === undefined ? {} : { acr_values: acr.join(' ') }),
  };

  return defineGuard({
    name,
    kind: 'identity',
    check({ session, tool }) {
      const interrupt = (reason: StepUpDetails['reason'], why: string): never => {
        const details: StepUpDetails = {
          reason,
          maxAgeSeconds,
          ...(acr === undefined ? {} : { acr }),
          authorizationParams,
        };
        throw new GateInterrupt('STEP_UP_REQUIRED', `'${tool.name}' needs a fresh login: ${why}`, {
          guard: name,
          details: { ...details },
        });
      };
      if (session.authTime === undefined)
        interrupt('auth_time_missing', 'the session does not say when the user logged in');
      const ageSeconds = Math.floor(now() / 1000) - (session.authTime as number);
      if (ageSeconds > maxAgeSeconds) {
        interrupt('stale', `the last login was ${ageSeconds}s ago, at most ${maxAgeSeconds}s is allowed`);
      }
      if (acr !== undefined && (session.acr === undefined || !acr.includes(session.acr))) {
        interrupt('acr', `the login level is '${session.acr ?? 'unknown'}', ${acr.join(' or ')} is required`);
      }
    },
  });
}

/**
 * The `createAuthorization` options that answer a `STEP_UP_REQUIRED` interrupt from {@link requireFreshAuth} (the
 * instance or its JSON form), or `undefined` for anything else.
 *
 * @example
 * const stepUp = stepUpOptions(error);
 * if (stepUp) return redirect((await login.createAuthorization(stepUp)).url);
 */
export function stepUpOptions(interrupt: unknown): { maxAge: number; acrValues?: string } | undefined {
  if (!isGateInterrupt(interrupt) || interrupt.code !== 'STEP_UP_REQUIRED') return undefined;
  const params = (interrupt.details as Partial<StepUpDetails>).authorizationParams;
  const maxAge = Number(params?.max_age);
  if (params === undefined || !Number.isInteger(maxAge) || maxAge < 0) return undefined;
  return { maxAge, ...(typeof params.acr_values === 'string' ? { acrValues: params.acr_values } : {}) };
}
