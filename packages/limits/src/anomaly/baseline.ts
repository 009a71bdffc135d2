/** A user and agent's usual behaviour, as the anomaly guard stores it: counts only, never an argument. */
export interface Baseline {
  readonly v: 1;
  /** Calls folded in. */
  calls: number;
  /** `[tool name, calls]` pairs (at most {@link MAX_TOOLS}); pairs, so no tool name can be a special object key. */
  tools: [string, number][];
  /** Calls per UTC hour of the day. */
  hours: number[];
  /** Call rate: the window being counted and the completed windows that had calls. */
  rate: { window: number; count: number; windows: number; total: number };
  /** Magnitudes seen: how many, and the largest. */
  magnitude: { count: number; max: number };
}

export const MAX_TOOLS = 256;

export function emptyBaseline(): Baseline {
  return {
    v: 1,
    calls: 0,
    tools: [],
    hours: Array.from({ length: 24 }, () => 0),
    rate: { window: 0, count: 0, windows: 0, total: 0 },
    magnitude: { count: 0, max: 0 },
  };
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** Whether a stored value is a well-formed baseline (a store may hand back anything). */
export function isBaseline(value: unknown): value is Baseline {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<Baseline>;
  const { tools, hours, rate, magnitude } = record;
  return (
    record.v === 1 &&
    isCount(record.calls) &&
    Array.isArray(tools) &&
    tools.length <= MAX_TOOLS &&
    tools.every(
      (pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && isCount(pair[1]),
    ) &&
    Array.isArray(hours) &&
    hours.length === 24 &&
    hours.every(isCount) &&
    typeof rate === 'object' &&
    rate !== null &&
    [rate.window, rate.count, rate.windows, rate.total].every(isCount) &&
    typeof magnitude === 'object' &&
    magnitude !== null &&
    isCount(magnitude.count) &&
    isCount(magnitude.max)
  );
}

/** What one call adds to a baseline. */
export interface Observation {
  tool: string;
  hour: number;
  /** The rate window's start and the calls counted in it so far (with this one); absent without a rate rule. */
  rate?: { window: number; count: number };
  magnitude?: number;
}

/** Folds one call into the baseline (in place). */
export function fold(baseline: Baseline, observation: Observation): Baseline {
  baseline.calls += 1;
  const pair = baseline.tools.find(([name]) => name === observation.tool);
  if (pair !== undefined) pair[1] += 1;
  else if (baseline.tools.length < MAX_TOOLS) baseline.tools.push([observation.tool, 1]);
  baseline.hours[observation.hour] = (baseline.hours[observation.hour] ?? 0) + 1;
  if (observation.rate !== undefined) {
    const { rate } = baseline;
    if (rate.window === observation.rate.window) rate.count = Math.max(rate.count, observation.rate.count);
    else {
      if (rate.count > 0) {
        rate.windows += 1;
        rate.total += rate.count;
      }
      rate.window = observation.rate.window;
      rate.count = observation.rate.count;
    }
  }
  if (observation.magnitude !== undefined) {
    baseline.magnitude.count += 1;
    baseline.magnitude.max = Math.max(baseline.magnitude.max, observation.magnitude);
  }
  return baseline;
}

/** Calls of `tool` in the baseline. */
export function toolCalls(baseline: Baseline, tool: string): number {
  return baseline.tools.find(([name]) => name === tool)?.[1] ?? 0;
}
