/**
 * Answers of one agent turn, as promises: a question asked again — or asked while the first ask is in flight — gets
 * the same answer without a request. Failed asks are removed, so a later question asks again.
 */
export class TurnMemo {
  readonly #answers = new Map<string, Promise<unknown>>();

  get<T>(key: string): Promise<T> | undefined {
    return this.#answers.get(key) as Promise<T> | undefined;
  }

  set<T>(key: string, answer: Promise<T>): void {
    this.#answers.set(key, answer);
    answer.catch(() => {
      if (this.#answers.get(key) === answer) this.#answers.delete(key);
    });
  }

  delete(key: string): void {
    this.#answers.delete(key);
  }
}

/**
 * The optional short-TTL decision cache: answers shared across turns and sessions of one authorizer for `ttlMs`.
 * It trades freshness for speed — a revoked permission stays visible until its entry expires. Oldest entries leave
 * first once `maxEntries` is reached.
 */
export class DecisionCache {
  readonly #entries = new Map<string, { value: unknown; expires: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(ttlMs: number, maxEntries: number) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get<T>(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set(key: string, value: unknown): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: Date.now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}
