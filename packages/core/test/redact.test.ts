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
  ])('masks %s', (_label, input, output) => {
    expect(redactSecrets(input)).toBe(output);
  });

  it('leaves ordinary text alone', () => {
    expect(redactSecrets('refund 240.00 EUR on order 1042')).toBe('refund 240.00 EUR on order 1042');
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
