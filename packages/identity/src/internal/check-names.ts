/** Throws a TypeError unless `names` is a non-empty list of non-empty strings. */
export function checkNames(
  factory: string,
  names: readonly unknown[],
  what: string,
): asserts names is string[] {
  if (names.length === 0) throw new TypeError(`${factory}: name at least one ${what}`);
  for (const name of names) {
    if (typeof name !== 'string' || name.length === 0 || /\s/.test(name)) {
      throw new TypeError(`${factory}: each ${what} must be a non-empty string without spaces`);
    }
  }
}
