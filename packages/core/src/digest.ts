import { hash } from 'node:crypto';

/**
 * Canonical JSON (in the spirit of RFC 8785): object keys sorted by UTF-16 code units, no whitespace, numbers and
 * strings as `JSON.stringify` writes them, so `1` and `"1"` stay distinct. Two values that mean the same thing give
 * the same text; a value JSON cannot carry faithfully is refused instead of silently changed.
 *
 * @throws TypeError for `undefined` at the top level or inside an array, sparse arrays, functions, symbols, bigints,
 * NaN and Infinity, objects other than plain ones and arrays (Map, Set, class instances without `toJSON`), and cycles. `undefined` object fields are omitted, as JSON does.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      const withToJSON = value as { toJSON?: () => unknown };
      if (typeof withToJSON.toJSON === 'function') return write(withToJSON.toJSON(), seen);
      if (seen.has(value)) throw new TypeError('canonicalJson: cyclic structure');
      seen.add(value);
      let text: string;
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let index = 0; index < value.length; index++) {
          if (!(index in value)) throw new TypeError('canonicalJson: a sparse array has no JSON form');
          if (value[index] === undefined) throw new TypeError('canonicalJson: undefined inside an array');
          items.push(write(value[index], seen));
        }
        text = `[${items.join(',')}]`;
      } else {
        const prototype = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) {
          // Map, Set, typed arrays, class instances: JSON would silently turn them into `{}` or lose fields.
          throw new TypeError(
            `canonicalJson: a ${value.constructor?.name ?? 'non-plain object'} has no faithful JSON form`,
          );
        }
        const entries = Object.entries(value as Record<string, unknown>)
          .filter(([, inner]) => inner !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        text = `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${write(inner, seen)}`).join(',')}}`;
      }
      seen.delete(value);
      return text;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
}

/** SHA-256 of a text, lowercase hex. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex'); // one-shot: no Hash object per digest
}

/**
 * The digest that binds approvals and audit events to exact arguments: `sha256:` + hex SHA-256 of the canonical JSON.
 *
 * @example digestArgs({ amount: 240, orderId: '1042' }) === digestArgs({ orderId: '1042', amount: 240 }) // true
 */
export function digestArgs(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
