import type { AgentSession } from '@agentgate/core';
import type * as oidc from 'openid-client';
import type { VerifiedAccessToken } from '../verify-access-token';

/** The session of a verified access token, completed with the ID token's user facts, `auth_time`, `acr` and `amr`. */
export function withIdTokenClaims(
  verified: VerifiedAccessToken,
  idClaims: oidc.IDToken | undefined,
): AgentSession {
  if (idClaims === undefined) return verified.session;
  const { session } = verified;
  const amr = Array.isArray(idClaims.amr)
    ? idClaims.amr.filter((item) => typeof item === 'string')
    : session.amr;
  const email = typeof idClaims.email === 'string' ? idClaims.email : session.user.email;
  const name = typeof idClaims.name === 'string' ? idClaims.name : session.user.name;
  return Object.freeze({
    ...session,
    user: Object.freeze({
      ...session.user,
      ...(email === undefined ? {} : { email }),
      ...(name === undefined ? {} : { name }),
    }),
    ...pick('authTime', typeof idClaims.auth_time === 'number' ? idClaims.auth_time : session.authTime),
    ...pick('acr', typeof idClaims.acr === 'string' ? idClaims.acr : session.acr),
    ...pick('amr', amr === undefined ? undefined : Object.freeze([...amr])),
  });
}

function pick<Key extends string, Value>(key: Key, value: Value | undefined): { [K in Key]?: Value } {
  return (value === undefined ? {} : { [key]: value }) as { [K in Key]?: Value };
}
