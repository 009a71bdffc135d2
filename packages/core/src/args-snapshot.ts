/** How deep tool arguments may nest; deeper ones are refused as `INVALID_ARGUMENTS` before anything else sees them. */
export const MAX_ARGS_DEPTH = 64;

/**
 * A private, deep-frozen copy of validated arguments: what the gate digests, the guards read and the tool receives.
 * Plain objects and arrays are copied and frozen (each getter read once), so neither a guard nor the caller holding
 * the original can change what was digested; a `Date` is copied; any other object is kept as it is, and the gate
 * re-checks the digest just before the tool runs.
 *
 * @throws TypeError when the value nests deeper than {@link MAX_ARGS_DEPTH} levels
 */
export function snapshotArgs<T>(value: T): T {
  return copy(value, 0) as T;
}

function copy(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_ARGS_DEPTH) {
    throw new TypeError(`arguments nest deeper than ${MAX_ARGS_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index++) {
      if (index in value) out[index] = copy(value[index], depth + 1);
    }
    return Object.freeze(out);
  }
  if (value instanceof Date) return new Date(value.getTime());
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const out: Record<string, unknown> = Object.create(prototype);
  for (const key of Object.keys(value)) {
    // A data property even for an own `__proto__` key.
    Object.defineProperty(out, key, {
      value: copy((value as Record<string, unknown>)[key], depth + 1),
      enumerable: true,
    });
  }
  return Object.freeze(out);
}
