import { describe, expect, it } from 'vitest';
import { classifyOAuthError, exchangeParameters } from './dialects';

describe('classifyOAuthError', () => {
  it.each([
    ['invalid_grant', 'connection_not_found: no connected account', 400, 'not_connected'],
    ['invalid_grant', 'federated_connection_refresh_token_not_found: …', 400, 'not_connected'],
    ['insufficient_scope', 'the connected account has not granted: events.write', 403, 'missing_scopes'],
    ['invalid_grant', 'subject token invalid', 400, 'invalid_subject'],
    ['invalid_grant', 'subject token invalid: login_hint names another user', 400, 'invalid_subject'],
    ['access_denied', '', 403, 'invalid_subject'],
    ['invalid_scope', 'connection has no scope: mail.send', 400, 'failed'],
    ['invalid_target', 'the audience names no known connection', 400, 'failed'],
    ['invalid_client', 'client authentication failed', 401, 'failed'],
    ['server_error', 'oops', 500, 'unavailable'],
    ['temporarily_unavailable', '', 503, 'unavailable'],
  ] as const)('%s (%s, HTTP %i) ⇒ %s', (error, description, status, expected) => {
    expect(classifyOAuthError(error, description, status)).toBe(expected);
  });
});

describe('exchangeParameters', () => {
  const request = {
    connection: 'acme-calendar',
    scopes: ['events.read', 'events.write'],
    subjectToken: 'subject',
    subjectTokenType: 'refresh_token' as const,
  };

  it('names the connection as an audience in the standard dialect', () => {
    expect(exchangeParameters('rfc8693', request)).toEqual({
      grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requestedTokenType: 'urn:agentgate:token-type:connection-access-token',
      parameters: {
        subject_token: 'subject',
        subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        requested_token_type: 'urn:agentgate:token-type:connection-access-token',
        audience: 'connection:acme-calendar',
        scope: 'events.read events.write',
      },
    });
  });

  it('asks for an access token to the API itself when given an audience (on-behalf-of)', () => {
    expect(
      exchangeParameters('rfc8693', {
        ...request,
        subjectTokenType: 'access_token',
        audience: 'https://api.acme.example/',
      }),
    ).toEqual({
      grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      parameters: {
        subject_token: 'subject',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'https://api.acme.example/',
        scope: 'events.read events.write',
      },
    });
  });

  it("uses Auth0's grant, token type and connection parameter in the auth0 dialect", () => {
    expect(
      exchangeParameters('auth0', { ...request, subjectTokenType: 'access_token', loginHint: 'alice' }),
    ).toEqual({
      grantType: 'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token',
      requestedTokenType: 'http://auth0.com/oauth/token-type/federated-connection-access-token',
      parameters: {
        subject_token: 'subject',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'http://auth0.com/oauth/token-type/federated-connection-access-token',
        connection: 'acme-calendar',
        login_hint: 'alice',
        scope: 'events.read events.write',
      },
    });
  });
});
