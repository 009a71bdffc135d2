import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SafeCause, safeCause } from './safe-cause';

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
});
