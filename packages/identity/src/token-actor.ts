import type { JWTPayload } from 'jose';
import { TokenVerificationFailed } from './errors';

/** Who acts for the user (RFC 8693 §4.1 `act`): the agent's client id, and who it acts for in turn when nested. */
export interface TokenActor {
  readonly sub: string;
  /** The previous actor when the token was delegated more than once. */
  readonly act?: TokenActor;
}

const MAX_DEPTH = 5;

function parseActor(value: unknown, depth: number): TokenActor {
  if (depth >= MAX_DEPTH) {
    throw new TokenVerificationFailed('claims', `the act claim is nested deeper than ${MAX_DEPTH} levels`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenVerificationFailed('claims', 'the act claim is not an object');
  }
  const { sub, act } = value as { sub?: unknown; act?: unknown };
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new TokenVerificationFailed('claims', 'the act claim has no string sub');
  }
  return Object.freeze({ sub, ...(act === undefined ? {} : { act: parseActor(act, depth + 1) }) });
}

/**
 * The actor of a verified access token: `undefined` when the token has no `act` claim (the user acts
 * themselves), else the agent acting for the user (RFC 8693 on-behalf-of). When the token names its client
 * (`client_id`), the actor must be that client: a token whose `act` names anyone else is refused.
 *
 * @throws TokenVerificationFailed (`NO_SESSION`, reason `claims`) for a malformed or inconsistent `act` claim
 * @example
 * const { claims } = await verifier.verify(token);
 * const actor = tokenActor(claims); // { sub: 'agentgate-agent' } or undefined
 */
export function tokenActor(claims: Readonly<JWTPayload>): TokenActor | undefined {
  if (claims.act === undefined) return undefined;
  const actor = parseActor(claims.act, 0);
  const clientId = claims['client_id'];
  if (clientId !== undefined && clientId !== actor.sub) {
    throw new TokenVerificationFailed(
      'claims',
      'the act claim names another client than the token was issued to',
    );
  }
  return actor;
}
