import { describe, expect, it } from 'vitest';
import {
  boundServerText,
  isSecretName,
  REDACTED,
  redactLiterals,
  redactSecrets,
  redactValue,
  TRUNCATED,
} from '../src/index';

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

describe('isSecretName', () => {
  it.each([
    'password',
    'passwd',
    'pwd',
    'passphrase',
    'private_key',
    'privateKey',
    'otp',
    'pin',
    'cvv',
    'client_secret',
    'clientSecret',
    'refresh_token',
    'accessToken',
    'accesstoken',
    'apiKey',
    'x-api-key',
    'Authorization',
    'client_assertion',
    'code_verifier',
    'set-cookie',
    'credentials',
    'password_hash',
    'SECRET',
  ])('calls %s secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    'subject_token_type',
    'token_type',
    'token_endpoint',
    'authorization_details',
    'client_assertion_type',
    'amount',
    'shipping',
    'spin',
    'opinion',
    'pinned',
    'footprint',
    'description',
    'requiredScopes',
    'connectUrl',
  ])('leaves %s readable', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it('drives key and text redaction alike', () => {
    for (const name of ['passwd', 'private_key', 'otp', 'pin']) {
      expect(redactValue({ [name]: 'v4lue' })).toEqual({ [name]: REDACTED });
      expect(redactSecrets(`${name}=v4lue`)).toBe(`${name}=${REDACTED}`);
    }
    expect(redactSecrets('Authorization: Bearer abc123')).toBe(`Authorization: Bearer ${REDACTED}`);
  });
});

describe('redactLiterals', () => {
  it('masks what a client sent wherever a server echoed it: verbatim, URL-encoded, form-encoded', () => {
    const secret = 'opaque subject/token+1';
    const text = `bad token ${secret}; in a URL ${encodeURIComponent(secret)}; in a form ${encodeURIComponent(secret).replace(/%20/g, '+')}`;
    const out = redactLiterals(text, [secret, undefined]);
    expect(out).not.toContain('opaque');
    expect(out.split(REDACTED)).toHaveLength(4);
  });

  it('ignores literals too short to be secrets, and still applies redactSecrets', () => {
    expect(redactLiterals('a b c client_secret=xyz9', ['a', 'b'])).toBe(`a b c client_secret=${REDACTED}`);
  });
});

describe('redactValue bounds', () => {
  it('truncates past its depth and node budget instead of recursing unbounded', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 10_000; level++) deep = [deep];
    expect(JSON.stringify(redactValue(deep))).toContain(TRUNCATED);
    const wide = Array.from({ length: 20_000 }, (_, index) => index);
    const copied = redactValue(wide) as unknown[];
    expect(copied.length).toBeLessThan(wide.length);
    expect(copied.at(-1)).toBe(TRUNCATED);
  });

  it('ends cycles and never runs getters', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let ran = false;
    const withGetter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        ran = true;
        return 1;
      },
    });
    expect(redactValue(cyclic)).toEqual({ a: 1, self: TRUNCATED });
    expect(redactValue(withGetter)).toEqual({ x: '[accessor]' });
    expect(ran).toBe(false);
  });
});

describe('redactLiterals, echoed in other spellings', () => {
  const secret = 'opaque/subject+token-123ABC';
  it.each([
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url', Buffer.from(secret).toString('base64url')],
    ['JSON with escaped slashes', secret.replaceAll('/', '\\/')],
    ['upper case', secret.toUpperCase()],
    ['lower-case percent-encoding', encodeURIComponent(secret).toLowerCase()],
    ['a cut-off prefix', `${secret.slice(0, 16)}...`],
  ])('masks the secret echoed as %s', (_label, echoed) => {
    const out = redactLiterals(`rejected ${echoed} for you`, [secret]);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(echoed.slice(0, 12));
    expect(out.startsWith('rejected ')).toBe(true);
  });

  it('leaves text sharing fewer than 12 characters with the secret alone', () => {
    expect(redactLiterals('subject token rejected', [secret])).toBe('subject token rejected');
  });
});

describe('boundServerText', () => {
  it('turns control and format characters into spaces and cuts long text', () => {
    expect(boundServerText('a\r\nINFO approved\u001b[31m\u2028\u202e')).toBe('a  INFO approved [31m  ');
    const long = boundServerText('x'.repeat(2000));
    expect(long.length).toBeLessThan(600);
    expect(long).toMatch(/1488 more characters\)$/);
  });
});
