/** How deep tool arguments may nest; deeper ones are refused as `INVALID_ARGUMENTS` before anything else sees them. */
export const MAX_ARGS_DEPTH = 64;
/** How many values (objects, array slots, primitives) tool arguments may hold in all. */
export const MAX_ARGS_VALUES = 100_000;

/**
 * A private, deep-frozen copy of tool arguments: what the gate validates, digests, shows the guards and gives the
 * tool. Plain objects and arrays are copied and frozen (each getter read once), a `Date` is copied, and an object
 * with a `toJSON()` is replaced by a copy of what it returns — exactly what the digest (`canonicalJson`) covers, so
 * an object cannot show the digest one value and the tool another. Anything else (a Map, a class instance without
 * `toJSON`) is kept as it is; the digest refuses it.
 *
 * @throws TypeError when the value nests deeper than {@link MAX_ARGS_DEPTH} levels, holds more than
 * {@link MAX_ARGS_VALUES} values, or its `toJSON()` throws
 */
export function snapshotArgs<T>(value: T): T {
  let budget = MAX_ARGS_VALUES;
  const copy = (input: unknown, depth: number): unknown => {
    if (--budget < 0) throw new TypeError(`arguments hold more than ${MAX_ARGS_VALUES} values`);
    if (input === null || typeof input !== 'object') return input;
    if (depth >= MAX_ARGS_DEPTH) throw new TypeError(`arguments nest deeper than ${MAX_ARGS_DEPTH} levels`);
    if (Array.isArray(input)) {
      if (input.length > budget) throw new TypeError(`arguments hold more than ${MAX_ARGS_VALUES} values`);
      const out: unknown[] = new Array(input.length);
      for (let index = 0; index < input.length; index++) {
        if (index in input) out[index] = copy(input[index], depth + 1);
      }
      return Object.freeze(out);
    }
    if (input instanceof Date) return new Date(input.getTime());
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return copy(toJSON.call(input), depth + 1);
    const prototype = Object.getPrototypeOf(input);
    if (prototype !== Object.prototype && prototype !== null) return input;
    const out: Record<string, unknown> = Object.create(prototype);
    for (const key of Object.keys(input)) {
      // A data property even for an own `__proto__` key.
      Object.defineProperty(out, key, {
        value: copy((input as Record<string, unknown>)[key], depth + 1),
        enumerable: true,
      });
    }
    return Object.freeze(out);
  };
  return copy(value, 0) as T;
}
