import { assertKnownOptions } from './options';
import { expiryOf, type Store, type StorePutOptions } from './store';

export interface MemoryStoreOptions {
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

interface Entry {
  value: unknown;
  expiresAt: number | undefined;
}

/**
 * A `Store` in process memory — the embedded default. Values are copied in and out (`structuredClone`), so a caller
 * cannot change a stored record by mutating what it put or got. Expired records are dropped when touched.
 *
 * @example const store = new MemoryStore(); await store.put('k', { a: 1 }, { ttlSeconds: 60 });
 */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  /** @throws TypeError for an unknown option or a `now` that is not a function */
  constructor(options: MemoryStoreOptions = {}) {
    assertKnownOptions('MemoryStore', options, ['now']);
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('MemoryStore: options.now must be a function');
    }
    this.#now = options.now ?? Date.now;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const entry = this.#live(key);
    return entry === undefined ? undefined : (structuredClone(entry.value) as T);
  }

  async put<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<void> {
    this.#entries.set(key, { value: structuredClone(value), expiresAt: expiryOf(options, this.#now()) });
  }

  async add<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#entries.set(key, { value: structuredClone(value), expiresAt: expiryOf(options, this.#now()) });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return existed;
  }

  async take<T = unknown>(key: string): Promise<T | undefined> {
    const entry = this.#live(key);
    this.#entries.delete(key);
    return entry === undefined ? undefined : (entry.value as T);
  }

  /** Number of live records (expired ones are pruned first). */
  get size(): number {
    for (const key of [...this.#entries.keys()]) this.#live(key);
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
