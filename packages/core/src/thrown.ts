/**
 * A text for any thrown value, for messages and audit reasons. Never throws: an `Error` gives its message, a string
 * itself, an object with a string `message` that message, and anything else (a null-prototype object, an object
 * whose `toString` is not a function or throws, a revoked proxy) a tag such as `[object Object]`.
 *
 * @example describeThrown(Object.create(null)) // '[object Object]'
 */
export function describeThrown(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      const message = (value as { message?: unknown }).message;
      if (typeof message === 'string') return message;
      return Object.prototype.toString.call(value);
    }
    if (typeof value === 'symbol')
      return value.description === undefined ? 'Symbol()' : `Symbol(${value.description})`;
    return String(value);
  } catch {
    return '[a thrown value that cannot be described]';
  }
}
