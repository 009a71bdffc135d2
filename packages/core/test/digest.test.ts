import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, digestArgs } from '../src/index';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('keeps 1 and "1", null and "null", true and "true" apart', () => {
    expect(canonicalJson({ v: 1 })).not.toBe(canonicalJson({ v: '1' }));
    expect(canonicalJson([null])).not.toBe(canonicalJson(['null']));
    expect(canonicalJson(true)).not.toBe(canonicalJson('true'));
  });

  it('sorts keys by UTF-16 code units and leaves strings as written', () => {
    expect(canonicalJson({ é: 1, z: 2, A: 3, '😀': 4 })).toBe('{"A":3,"z":2,"é":1,"😀":4}');
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(canonicalJson(composed)).toBe(canonicalJson('café'));
    expect(canonicalJson(composed)).not.toBe(canonicalJson(decomposed));
  });

  it('keeps array order', () => {
    expect(canonicalJson([[1, 2], [3]])).not.toBe(canonicalJson([[3], [1, 2]]));
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint', 1n],
    ['a function', () => 1],
    ['undefined', undefined],
    ['undefined in an array', [1, undefined]],
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    ['a sparse array', [, 1]],
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    [
      'a class instance',
      new (class Point {
        x = 1;
      })(),
    ],
    ['a typed array', new Uint8Array([1])],
  ])('refuses %s', (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('refuses cycles but accepts shared references', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('uses toJSON, as JSON does', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2026, 0, 2)) })).toBe('{"at":"2026-01-02T00:00:00.000Z"}');
  });
});

describe('digestArgs', () => {
  it('is sha256 of the canonical JSON', () => {
    const expected = createHash('sha256').update('{"amount":240,"orderId":"1042"}').digest('hex');
    expect(digestArgs({ orderId: '1042', amount: 240 })).toBe(`sha256:${expected}`);
  });

  it('is stable under key order and differs for any change of value', () => {
    const base = { order: { id: '1042', lines: [{ sku: 'a', qty: 2 }] }, amount: 240, note: 'naïve ✓' };
    const reordered = { note: 'naïve ✓', amount: 240, order: { lines: [{ qty: 2, sku: 'a' }], id: '1042' } };
    expect(digestArgs(reordered)).toBe(digestArgs(base));
    expect(digestArgs({ ...base, amount: 241 })).not.toBe(digestArgs(base));
    expect(digestArgs({ ...base, amount: '240' })).not.toBe(digestArgs(base));
    expect(digestArgs({ ...base, note: 'naive ✓' })).not.toBe(digestArgs(base));
    expect(
      digestArgs({
        ...base,
        order: {
          id: '1042',
          lines: [
            { sku: 'a', qty: 2 },
            { sku: 'b', qty: 1 },
          ],
        },
      }),
    ).not.toBe(digestArgs(base));
  });
});
