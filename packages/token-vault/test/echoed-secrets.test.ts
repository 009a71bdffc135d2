import { createGate, createSession, GateDenied, GateInterrupt, memoryAudit } from '@agentgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVault, TokenExchangeFailed, type TokenVaultOptions } from '../src';
import { type EchoMode, type EchoTokenEndpoint, startEchoTokenEndpoint } from './support/echo-token-endpoint';
import { everythingShown, rejectionOf } from './support/fixtures';

// A token endpoint that quotes back the subject token, the client secret or the client assertion it was sent, in its
// error_description or WWW-Authenticate challenge. None of it may reach an error message, toJSON(), or the audit log.

const SUBJECT = 'plain-opaque-subject-token-123';
/** Characters that change under URL, form and JSON encoding. */
const ODD_SUBJECT = 'opaque subject+token/with="quotes"&=';
const CLIENT_SECRET = 'plain-client-secret-456';
const request = { connection: 'acme-calendar', scopes: ['events.read'] };

let endpoint: EchoTokenEndpoint;
beforeAll(async () => {
  endpoint = await startEchoTokenEndpoint();
});
afterAll(async () => {
  await endpoint?.close();
});

function vault(options: Partial<TokenVaultOptions> = {}) {
  return createTokenVault({
    issuer: endpoint.issuer,
    clientId: 'agent',
    clientSecret: CLIENT_SECRET,
    dialect: 'rfc8693',
    allowInsecureRequests: true,
    retries: 0,
    ...options,
  } as TokenVaultOptions);
}

const sessionWith = (subjectToken: string) => createSession({ sub: 'alice', subjectToken });

/** The error as thrown, its JSON form, and the audit log of the same failure through a gate. */
async function failureOf(options: Partial<TokenVaultOptions>, subjectToken: string, mode: EchoMode) {
  endpoint.mode = mode;
  const subject = sessionWith(subjectToken);
  const tokenVault = vault(options);
  const direct = await rejectionOf(tokenVault.getToken(subject, request));
  const audit = memoryAudit();
  const gated = await rejectionOf(
    createGate({ audit }).run(
      { tool: { name: 'list_events' }, args: {} },
      subject,
      [tokenVault.guard(request)],
      async () => 'ran',
    ),
  );
  const json = JSON.stringify((direct as GateDenied | GateInterrupt).toJSON());
  return {
    direct,
    gated,
    json,
    audit: JSON.stringify(audit.events),
    reasons: audit.events.map((e) => e.reason),
  };
}

describe('server text that echoes what the vault sent', () => {
  it.each([
    ['rfc8693', SUBJECT],
    ['auth0', SUBJECT],
    ['rfc8693', ODD_SUBJECT],
    ['auth0', ODD_SUBJECT],
  ] as const)(
    'masks the subject token and client secret in error_description (%s, %j)',
    async (dialect, subjectToken) => {
      const { direct, gated, json, audit, reasons } = await failureOf(
        { dialect },
        subjectToken,
        'description',
      );
      // The request really carried the literals the server then quoted.
      expect(endpoint.lastRequest?.get('subject_token')).toBe(subjectToken);
      expect(endpoint.lastRequest?.get('client_secret')).toBe(CLIENT_SECRET);
      expect(direct).toBeInstanceOf(GateDenied);
      expect(direct).toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringContaining('invalid_grant (cannot exchange [redacted]'),
        details: { failure: 'invalid_subject', errorDescription: expect.stringContaining('[redacted]') },
      });
      expect(gated).toMatchObject({ code: 'FORBIDDEN' });
      expect(reasons.some((reason) => reason?.includes('invalid_grant'))).toBe(true);
      for (const shown of [everythingShown(direct), everythingShown(gated), json, audit]) {
        for (const literal of [subjectToken, encodeURIComponent(subjectToken), CLIENT_SECRET]) {
          expect(shown).not.toContain(literal);
        }
      }
    },
  );

  it('masks secrets echoed encoded, re-cased or cut short, and bounds the text (no forged lines, no flood)', async () => {
    const subjectToken = 'opaque/subject+token-ABC-123';
    const { direct, json, audit } = await failureOf({}, subjectToken, 'encoded');
    for (const shown of [everythingShown(direct), json, audit]) {
      for (const value of [subjectToken, CLIENT_SECRET]) {
        for (const spelling of [
          Buffer.from(value).toString('base64').slice(0, 16),
          Buffer.from(value).toString('base64url').slice(0, 16),
          value.toUpperCase(),
          value.slice(0, 14),
        ]) {
          expect(shown).not.toContain(spelling);
        }
      }
      expect(shown).not.toMatch(/\r\n2026-01-01 INFO/);
    }
    expect((direct as Error).message.length).toBeLessThan(1200);
    expect((direct as Error).message).not.toMatch(/[\r\n]/);
  });

  it('masks the echo in the details and message of a CONNECTION_REQUIRED interrupt', async () => {
    const { direct, json, audit } = await failureOf({}, SUBJECT, 'not_connected');
    expect(direct).toBeInstanceOf(GateInterrupt);
    expect(direct).toMatchObject({
      code: 'CONNECTION_REQUIRED',
      details: {
        failure: 'not_connected',
        errorDescription: expect.stringMatching(/^connection_not_found: .*\[redacted]/),
      },
    });
    for (const shown of [everythingShown(direct), json, audit]) {
      expect(shown).not.toContain(SUBJECT);
      expect(shown).not.toContain(CLIENT_SECRET);
    }
  });

  it('masks a WWW-Authenticate challenge that quotes the secrets', async () => {
    const { direct, json, audit } = await failureOf({}, SUBJECT, 'challenge');
    expect(direct).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining('invalid_client (unknown client credentials [redacted]'),
      details: { error: 'invalid_client', status: 401 },
    });
    expect(TokenExchangeFailed.isInstance((direct as GateDenied).cause)).toBe(true);
    for (const shown of [everythingShown(direct), json, audit]) {
      expect(shown).not.toContain(SUBJECT);
      expect(shown).not.toContain(CLIENT_SECRET);
    }
  });

  it('masks the client assertion it signed for private_key_jwt', async () => {
    const { privateKey } = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const { direct, json, audit } = await failureOf(
      { clientSecret: undefined, privateKeyJwt: privateKey },
      SUBJECT,
      'description',
    );
    const assertion = endpoint.lastRequest?.get('client_assertion');
    expect(assertion).toMatch(/^eyJ/);
    for (const shown of [everythingShown(direct), json, audit]) {
      expect(shown).not.toContain(assertion);
      expect(shown).not.toContain(SUBJECT);
    }
  });
});
