import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from '../../test/helpers/local-issuer';
import { verifyAccessToken } from '../verify-access-token';

let idp: LocalIssuer;

beforeAll(async () => {
  idp = await startLocalIssuer();
});
afterAll(async () => {
  await idp.close();
});

const messageOf = async (token: Promise<string>) =>
  (
    (await verifyAccessToken(await token, { issuer: idp.issuer, audience: AUDIENCE }).catch(
      (caught: unknown) => caught,
    )) as Error
  ).message;

/** Characters a quoted value must never carry into a message: they forge log lines or reorder text. */
const unsafe = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

describe('fromJoseError quoting token values', () => {
  it.each([
    ['a right-to-left override (U+202E)', 'invoice\u202Egnp.exe', "'invoice?gnp.exe'"],
    ['a line separator (U+2028)', 'key\u2028forged line', "'key?forged line'"],
    ['a paragraph separator (U+2029)', 'key\u2029forged', "'key?forged'"],
    ['zero-width and BOM characters', 'k\u200Be\u200Dy\uFEFF', "'k?e?y?'"],
    ['a control character', 'key\r\nforged', "'key??forged'"],
  ])('replaces %s in a kid with ?', async (_name, kid, quoted) => {
    const message = await messageOf(idp.sign({}, { header: { kid } }));
    expect(message).toContain(`matches the token's kid ${quoted}`);
    expect(message).not.toMatch(unsafe);
  });

  it('quotes at most 5 items of an array and at most 200 characters in all', async () => {
    const audiences = Array.from(
      { length: 40 },
      (_, index) => `https://api-${index}.example/${'p'.repeat(60)}`,
    );
    const message = await messageOf(idp.sign({ aud: audiences }));
    const quoted = /the token is for audience (.*), this API expects/.exec(message)?.[1] ?? '';
    expect(quoted).toMatch(
      /^'https:\/\/api-0\.example\/p+', 'https:\/\/api-1\.example\/p+', 'https:\/\/api-2/,
    );
    expect(quoted).toMatch(/… and 35 more$/);
    expect(quoted.length).toBeLessThanOrEqual(200 + '… and 35 more'.length);
    expect(message).not.toContain('api-5.example');
  });

  it('bounds an array kid of many items as a whole', async () => {
    const kid = Array.from({ length: 150 }, (_, index) => `key-${index}-${'k'.repeat(20)}`);
    const message = await messageOf(idp.sign({}, { header: { kid } }));
    expect(message).toContain("'key-4-kkkkkkkkkkkkkkkkkkkk' and 145 more");
    expect(message.length).toBeLessThan(600);
    expect(message).not.toContain('key-5-');
  });

  it('shows a short array in full', async () => {
    const message = await messageOf(idp.sign({ aud: ['https://a.example/', 'https://b.example/'] }));
    expect(message).toContain(
      "the token is for audience 'https://a.example/', 'https://b.example/', this API",
    );
  });
});
