import { LIMIT_KEYS } from '../limit-key';

/** Option checks shared by the limit and anomaly guards: each throws a `TypeError` naming the option. */

export function assertPositiveInteger(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${where}: ${name} must be a positive integer`);
  }
}

export function assertPositiveNumber(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${where}: ${name} must be a finite number above 0`);
  }
}

export function assertOptionalFunction(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${where}: ${name} must be a function`);
  }
}

export function assertOptionalName(where: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new TypeError(`${where}: options.name must be a non-empty string`);
  }
}

/** A store given as an option: an object with the named methods. */
export function assertStore(where: string, name: string, value: unknown, methods: readonly string[]): void {
  const candidate = value as Record<string, unknown> | null | undefined;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    methods.some((method) => typeof candidate[method] !== 'function')
  ) {
    throw new TypeError(`${where}: ${name} must be an object with ${methods.join(', ')}()`);
  }
}

/** @throws TypeError unless `key` is `'user'`, `'user+tool'`, `'tenant'` or a function */
export function assertLimitKey(where: string, key: unknown): void {
  if (typeof key === 'function' || (typeof key === 'string' && LIMIT_KEYS.includes(key))) return;
  throw new TypeError(`${where}: options.key must be 'user', 'user+tool', 'tenant' or a function`);
}

/** @throws TypeError unless `value` is `undefined`, `'deny'` or `'allow'` */
export function assertOnStoreError(where: string, value: unknown): void {
  if (value !== undefined && value !== 'deny' && value !== 'allow') {
    throw new TypeError(`${where}: options.onStoreError must be 'deny' or 'allow'`);
  }
}
