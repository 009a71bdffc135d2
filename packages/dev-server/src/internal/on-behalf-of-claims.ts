/** The actor of an on-behalf-of token: the agent client acting for the user (RFC 8693 §4.1), nested when delegated again. */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
}

/** Claims an on-behalf-of token carries besides the standard ones. */
export interface DelegationClaims {
  act: ActorClaim;
  acr?: string;
  amr?: string[];
  auth_time?: number;
}

const pending = new WeakMap<object, DelegationClaims>();

/** Marks an access token (before `save()`) as issued on behalf of the user, with the claims to add. */
export function markDelegated(token: object, claims: DelegationClaims): void {
  pending.set(token, claims);
}

/** The delegation claims of a token marked by {@link markDelegated}; none for any other token. */
export function delegationClaims(token: object): Partial<DelegationClaims> {
  return pending.get(token) ?? {};
}
