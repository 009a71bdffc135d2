import type { Store } from '@agentgate/core';

/** Past the last slot known to be used, how many empty slots in a row end a scan. */
const GAP = 32;
/** Slots read at once during a scan. */
const BATCH = 32;

/**
 * An index of record ids on nothing but a core `Store` (which has no list): an append-only run of numbered slots,
 * each claimed with the atomic `add`, so concurrent writers in any number of processes never lose an entry and never
 * need a lock. Two hints (`next`, `first`) keep claims and scans short; they may lag or regress under concurrency,
 * which costs a few extra reads, never an entry. Slots expire with their records.
 */
export class SlotIndex {
  readonly #store: Store;
  readonly #prefix: string;

  constructor(store: Store, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  /** Adds `id` in the first free slot at or after the `next` hint. */
  async append(id: string, ttlSeconds: number): Promise<void> {
    let slot = Math.max(await this.#hint('next'), await this.#hint('first'));
    while (!(await this.#store.add(this.#slot(slot), id, { ttlSeconds }))) slot += 1;
    await this.#store.put(this.#key('next'), slot + 1);
  }

  /** Every id still indexed, in slot order (roughly creation order). */
  async ids(): Promise<string[]> {
    const first = await this.#hint('first');
    const next = await this.#hint('next');
    const ids: string[] = [];
    let lastUsed = first - 1;
    let leadingEmpty = true;
    let newFirst = first;
    for (let start = first; start < Math.max(next, lastUsed + 1) + GAP; start += BATCH) {
      const values = await Promise.all(
        Array.from({ length: BATCH }, (_, offset) => this.#store.get<string>(this.#slot(start + offset))),
      );
      values.forEach((value, offset) => {
        if (typeof value === 'string') {
          ids.push(value);
          lastUsed = start + offset;
          leadingEmpty = false;
        } else if (leadingEmpty && start + offset < next) newFirst = start + offset + 1;
      });
    }
    // Slots expire oldest first: later scans start past the expired head.
    if (newFirst > first) await this.#store.put(this.#key('first'), newFirst);
    return ids;
  }

  async #hint(name: 'next' | 'first'): Promise<number> {
    const value = await this.#store.get<number>(this.#key(name));
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
  }

  #key(name: string): string {
    return `${this.#prefix}slots:${name}`;
  }

  #slot(number: number): string {
    return `${this.#prefix}slot:${number}`;
  }
}
