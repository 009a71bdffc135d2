import { describe, expect, it } from 'vitest';
import { readBearerToken } from './read-bearer-token';

describe('readBearerToken', () => {
  it.each([
    ['Bearer abc.def-ghi_jkl~', 'abc.def-ghi_jkl~'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer    abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['\tBearer abc\t', 'abc'],
    ['Bearer a+b/c==', 'a+b/c=='],
  ])('reads %j as %j', (header, token) => {
    expect(readBearerToken(header)).toBe(token);
  });

  it.each([
    ['absent (null)', null],
    ['absent (undefined)', undefined],
    ['empty', ''],
    ['only spaces', '   '],
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces', 'Bearer   '],
    ['a tab after the scheme', 'Bearer\tabc'],
    ['two tokens', 'Bearer abc def'],
    ['a token with a tab inside', 'Bearer abc\tdef'],
    ['non-ASCII characters', 'Bearer abc\u00e9'],
    ['a non-ASCII space after the scheme', 'Bearer\u00a0abc'],
    ['another scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['no space after the scheme', 'Bearerabc'],
    ['the scheme inside a word', 'XBearer abc'],
  ])('is undefined for %s', (_what, header) => {
    expect(readBearerToken(header)).toBeUndefined();
  });

  it('is undefined for a value that is not a string, as an untyped framework might hand it', () => {
    expect(readBearerToken(['Bearer abc'] as unknown as string)).toBeUndefined();
  });
});
