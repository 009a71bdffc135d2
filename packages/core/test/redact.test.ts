import { describe, expect, it } from 'vitest';
import { redactSecrets, redactValue } from '../src/index';

describe('redactSecrets', () => {
  it.each([
    ['a JWT', 'token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.sig-part here', 'token [redacted] here'],
    ['a bearer header', 'Authorization: Bearer abc123._~+/=', 'Authorization: Bearer [redacted]'],
    [
      'a form pair',
      'grant_type=x&subject_token=s3cr3t&scope=a',
      'grant_type=x&subject_token=[redacted]&scope=a',
    ],
    ['a JSON pair', '{"client_secret":"hunter2","id":1}', '{"client_secret":"[redacted]","id":1}'],
    [
      'a quoted value with spaces',
      '{"client_secret":"hunter two","id":1}',
      '{"client_secret":"[redacted]","id":1}',
    ],
    [
      'a camelCase key',
      'clientSecret=abc accessToken: "a b" refreshToken=r',
      'clientSecret=[redacted] accessToken: "[redacted]" refreshToken=[redacted]',
    ],
    ['a bare token and an api key', 'token=abc123, apiKey=k', 'token=[redacted], apiKey=[redacted]'],
    ['a single-quoted pair', "{'password': 'p w'}", "{'password': '[redacted]'}"],
  ])('masks %s', (_label, input, output) => {
    expect(redactSecrets(input)).toBe(output);
  });

  it.each([
    'refund 240.00 EUR on order 1042',
    'token exchange failed: invalid_grant',
    'subject_token_type=urn:ietf:params:oauth:token-type:access_token',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactValue', () => {
  it('masks secret-looking fields at any depth', () => {
    expect(redactValue({ user: 'a', refreshToken: 'x', list: [{ client_secret: 'y', ok: 1 }] })).toEqual({
      user: 'a',
      refreshToken: '[redacted]',
      list: [{ client_secret: '[redacted]', ok: 1 }],
    });
  });
});
