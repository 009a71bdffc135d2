import type { AgentSession } from '@agentgate/core';
import { TokenVerificationFailed, tokenActor, type VerifiedAccessToken } from '@agentgate/identity';

/**
 * The session of a verified access token, checked against its actor (RFC 8693 §4.1 `act`). A token without `act`
 * is the user's own: its session as verified (agent = `client_id`, else `azp`). A delegated token's `act` must be
 * well formed (`tokenActor`) and its `act.sub` must be the client the session names as agent; a token that names
 * no client gets its actor as agent (`{ id: act.sub, clientId: act.sub }`). Nested actors are checked, not kept.
 *
 * @throws TokenVerificationFailed (reason `claims`) for a malformed `act`, or one naming another client
 */
export function delegatedSession({ session, claims }: VerifiedAccessToken): AgentSession {
  const actor = tokenActor(claims);
  if (actor === undefined) return session;
  const client = session.agent?.clientId;
  if (client === undefined) {
    return Object.freeze({ ...session, agent: Object.freeze({ id: actor.sub, clientId: actor.sub }) });
  }
  if (client !== actor.sub) {
    throw new TokenVerificationFailed(
      'claims',
      'the act claim names another client than the token was issued to',
    );
  }
  return session;
}
