import { inspect } from 'node:util';
import { createGate, type GateDenied, MemoryStore, memoryAudit } from '@agentgate/core';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CreateLoginOptions,
  createBackgroundSession,
  createLogin,
  LoginFailed,
  requireActiveSession,
} from '../src';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from './helpers/local-issuer';

// The local issuer's token endpoint refuses every grant and quotes back, bare, every value it was sent; its
// introspection endpoint quotes a wrong client secret and the token in a WWW-Authenticate challenge. None of those
// literals may reach a LoginFailed's message, its toJSON(), its cause chain, or the audit log.

const REFRESH_TOKEN = 'plain-opaque-refresh-token-123';
const ACCESS_TOKEN = 'plain-opaque-access-token-123';
const CODE = 'plain-authorization-code-789';
const CLIENT_SECRET = 'plain-client-secret-456';

let idp: LocalIssuer;
beforeAll(async () => {
  idp = await startLocalIssuer();
});
afterAll(async () => {
  await idp.close();
});

const loginWith = (options: Partial<CreateLoginOptions> = {}) =>
  createLogin({
    issuer: idp.issuer,
    clientId: 'agent-app',
    clientSecret: CLIENT_SECRET,
    redirectUri: 'http://127.0.0.1:3000/callback',
    audience: AUDIENCE,
    allowInsecureRequests: true,
    ...options,
  } as CreateLoginOptions);

/** Everything an error shows: its message, its JSON form, and its inspected cause chain. */
function everythingShown(error: unknown): string {
  return `${String(error)}\n${JSON.stringify(error)}\n${inspect(error, { depth: 20 })}`;
}

async function rejectionOf(promise: Promise<unknown> | undefined): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('provider text that echoes what the login sent', () => {
  it.each([
    ['client_secret_basic', {}],
    ['client_secret_post', { clientAuthentication: 'client_secret_post' as const }],
  ])('masks the refresh token and client secret in error_description (%s)', async (_label, options) => {
    const error = await rejectionOf(loginWith(options).refresh(REFRESH_TOKEN));
    expect(idp.lastTokenRequest?.get('refresh_token')).toBe(REFRESH_TOKEN);
    expect(LoginFailed.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'NO_SESSION',
      reason: 'invalid_grant',
      message: expect.stringMatching(
        /^the refresh token grant failed: invalid_grant \(cannot use .*\[redacted].*\) \[HTTP 400]$/,
      ),
    });
    const shown = everythingShown(error) + JSON.stringify((error as GateDenied).toJSON());
    expect(shown).not.toContain(REFRESH_TOKEN);
    expect(shown).not.toContain(CLIENT_SECRET);
  });

  it('masks the client assertion it signed for private_key_jwt', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const login = loginWith({ clientSecret: undefined, privateKeyJwt: { key: privateKey, kid: 'k1' } });
    const error = await rejectionOf(login.refresh(REFRESH_TOKEN));
    const assertion = idp.lastTokenRequest?.get('client_assertion');
    expect(assertion).toMatch(/^eyJ/);
    expect(error).toMatchObject({ reason: 'invalid_grant' });
    expect(everythingShown(error)).not.toContain(assertion);
    expect(everythingShown(error)).not.toContain(REFRESH_TOKEN);
  });

  it('masks the authorization code and the PKCE verifier of a login callback', async () => {
    const login = loginWith();
    const { checks } = await login.createAuthorization();
    const callback = `http://127.0.0.1:3000/callback?${new URLSearchParams({ code: CODE, state: checks.state })}`;
    const error = await rejectionOf(login.handleCallback(callback, checks));
    expect(idp.lastTokenRequest?.get('code')).toBe(CODE);
    expect(error).toMatchObject({ code: 'NO_SESSION', reason: 'invalid_grant' });
    expect((error as Error).message).toMatch(
      /^the login callback failed: invalid_grant \(cannot use .*\[redacted]/,
    );
    for (const literal of [CODE, checks.codeVerifier, CLIENT_SECRET]) {
      expect(everythingShown(error)).not.toContain(literal);
    }
  });

  it('masks a WWW-Authenticate challenge that quotes the wrong secret and the introspected token', async () => {
    const error = await rejectionOf(loginWith().introspect(ACCESS_TOKEN));
    expect(error).toMatchObject({
      code: 'NO_SESSION',
      reason: 'invalid_client',
      message:
        'token introspection failed: invalid_client (no client with secret [redacted] may introspect [redacted]) [HTTP 401]',
    });
    expect(everythingShown(error)).not.toContain(ACCESS_TOKEN);
    expect(everythingShown(error)).not.toContain(CLIENT_SECRET);
  });

  it('keeps the echo out of the audit log when a background session fails its refresh in a gate', async () => {
    const login = loginWith();
    const accessToken = await idp.sign();
    const session = await createBackgroundSession({
      login,
      store: new MemoryStore(),
      tokens: {
        accessToken,
        refreshToken: REFRESH_TOKEN,
        expiresAt: Math.floor(Date.now() / 1000) + 300,
        scope: '',
      },
    });
    const audit = memoryAudit();
    const execute = vi.fn(async () => 'sent');
    const error = await rejectionOf(
      createGate({ audit }).run(
        { tool: { name: 'send_report' }, args: {} },
        session,
        [requireActiveSession()],
        execute,
      ),
    );
    expect(execute).not.toHaveBeenCalled();
    expect(error).toMatchObject({
      code: 'NO_SESSION',
      reason: 'invalid_grant',
      guard: 'requireActiveSession',
    });
    const denial = audit.events.find((event) => event.outcome === 'deny');
    expect(denial?.reason).toMatch(/^the refresh token grant failed: invalid_grant \(cannot use \[redacted]/);
    for (const shown of [
      everythingShown(error),
      JSON.stringify((error as GateDenied).toJSON()),
      JSON.stringify(audit.events),
    ]) {
      expect(shown).not.toContain(REFRESH_TOKEN);
      expect(shown).not.toContain(CLIENT_SECRET);
    }
  });
});
