/**
 * Throws a TypeError unless `names` is a non-empty list of non-empty strings without spaces, with a hint for the usual
 * slips: an array (`requireScopes(['a', 'b'])`) or a space-separated string (`requireScopes('a b')`).
 */
export function checkNames(
  factory: string,
  names: readonly unknown[],
  what: string,
): asserts names is string[] {
  if (names.length === 0)
    throw new TypeError(`${factory}: name at least one ${what}, e.g. ${factory}('a', 'b')`);
  for (const name of names) {
    if (Array.isArray(name)) {
      throw new TypeError(
        `${factory}: pass each ${what} as its own argument, ${factory}(${name.map((item) => JSON.stringify(item)).join(', ')}), not an array`,
      );
    }
    if (typeof name === 'string' && /\s/.test(name.trim()) && name.trim().length > 0) {
      throw new TypeError(
        `${factory}: pass each ${what} as its own argument, ${factory}(${name
          .trim()
          .split(/\s+/)
          .map((item) => `'${item}'`)
          .join(', ')}), not one space-separated string`,
      );
    }
    if (typeof name !== 'string' || name.length === 0 || /\s/.test(name)) {
      throw new TypeError(`${factory}: each ${what} must be a non-empty string without spaces`);
    }
  }
}
