import { GateDenied, GateInterrupt } from '@agentgate/core';
import type { TokenExchangeFailed } from '../errors';

export interface ConnectionRequiredFacts {
  connection: string;
  /** Requested plus previously granted scopes, each once, sorted. */
  requiredScopes: string[];
  connectUrl: string | undefined;
}

/** The decision the caller sees for a failed exchange: the user must connect, a final "no", or a failed guard. */
export function toGateError(
  failed: TokenExchangeFailed,
  facts: ConnectionRequiredFacts,
): GateDenied | GateInterrupt {
  const details = failed.toDetails();
  switch (failed.failure) {
    case 'not_connected':
    case 'missing_scopes': {
      const what =
        failed.failure === 'not_connected'
          ? `connect the account for '${facts.connection}'`
          : `grant '${facts.connection}' more scopes`;
      // Without a link the app cannot send the user anywhere: say so, rather than leave a silent gap.
      const link =
        facts.connectUrl === undefined
          ? '; no connect link: give createTokenVault a connectUrl option to put one in details.connectUrl'
          : '';
      return new GateInterrupt(
        'CONNECTION_REQUIRED',
        `${what} (scopes: ${facts.requiredScopes.join(' ')}) to continue${link}`,
        {
          cause: failed,
          details: {
            ...details,
            connection: facts.connection,
            requiredScopes: facts.requiredScopes,
            ...(facts.connectUrl === undefined ? {} : { connectUrl: facts.connectUrl }),
          },
        },
      );
    }
    case 'invalid_subject':
      return new GateDenied('FORBIDDEN', failed.message, { cause: failed, details });
    default:
      return new GateDenied('GUARD_FAILED', failed.message, { cause: failed, details });
  }
}
