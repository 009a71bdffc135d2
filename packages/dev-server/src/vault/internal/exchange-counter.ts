import type { DevExchangeEvent, DevExchangeFilter } from '../types';

const FIELDS = ['dialect', 'outcome', 'error', 'connection', 'sub', 'clientId'] as const;

/**
 * Counts handled token exchanges by their distinct field values, so memory grows with the number of
 * users and connections, not with the number of exchanges.
 */
export class ExchangeCounter {
  readonly #counts = new Map<string, { event: DevExchangeEvent; count: number }>();

  record(event: DevExchangeEvent): void {
    const key = JSON.stringify(FIELDS.map((field) => event[field] ?? null));
    const entry = this.#counts.get(key);
    if (entry) {
      entry.count += 1;
    } else {
      this.#counts.set(key, { event: { ...event }, count: 1 });
    }
  }

  count(filter: DevExchangeFilter = {}): number {
    const wanted = FIELDS.filter((field) => filter[field] !== undefined);
    let total = 0;
    for (const { event, count } of this.#counts.values()) {
      if (wanted.every((field) => event[field] === filter[field])) {
        total += count;
      }
    }
    return total;
  }
}
