import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GateDenied, SafeCause, safeCause } from '../src/index';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('safeCause', () => {
  it('keeps name, code, message, status and the OAuth error of each error in the chain, and nothing else', () => {
    const body = { access_token: TOKEN, refresh_token: 'rt-secret-value', expires_in: 'soon' };
    const inner = Object.assign(new Error('"response" body "expires_in" property must be a number'), {
      code: 'OAUTH_INVALID_RESPONSE',
    });
    Object.defineProperty(inner, 'cause', { value: { body } });
    const outer = Object.assign(new Error('invalid response encountered', { cause: inner }), {
      name: 'ClientError',
      code: 'OAUTH_INVALID_RESPONSE',
      status: 400,
      error: 'invalid_grant',
      error_description: 'grant revoked',
      response: new Response(JSON.stringify(body)),
      body,
    });

    const safe = safeCause(outer);
    expect(safe).toBeInstanceOf(SafeCause);
    expect(safe).toMatchObject({
      name: 'ClientError',
      message: 'invalid response encountered',
      code: 'OAUTH_INVALID_RESPONSE',
      status: 400,
      error: 'invalid_grant',
      error_description: 'grant revoked',
    });
    expect(safe?.cause).toMatchObject({ message: inner.message, code: 'OAUTH_INVALID_RESPONSE' });
    expect((safe?.cause as Error | undefined)?.cause).toBeUndefined();
    const shown = `${inspect(safe, { depth: 20, showHidden: true })}\n${JSON.stringify(safe)}`;
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain('rt-secret-value');
  });

  it('redacts a token that slipped into a message, keeps thrown text, and drops other values', () => {
    expect(safeCause(new Error(`bad refresh_token=abc123 and ${TOKEN}`))?.message).toBe(
      'bad refresh_token=[redacted] and [redacted]',
    );
    expect(safeCause('plain text')?.message).toBe('plain text');
    expect(safeCause({ body: { access_token: TOKEN } })).toBeUndefined();
    expect(safeCause(undefined)).toBeUndefined();
  });

  it('passes AgentGate errors through, and every AgentGate error keeps only a safe cause', () => {
    const denied = new GateDenied('FORBIDDEN', 'no');
    expect(safeCause(denied)).toBe(denied);
    const leaky = Object.assign(new Error('exchange failed'), { body: { access_token: TOKEN } });
    const wrapped = new GateDenied('GUARD_FAILED', 'guard failed', { cause: leaky });
    expect(wrapped.cause).toBeInstanceOf(SafeCause);
    expect((wrapped.cause as Error).message).toBe('exchange failed');
    expect(inspect(wrapped, { depth: 20, showHidden: true })).not.toContain(TOKEN);
  });
});
