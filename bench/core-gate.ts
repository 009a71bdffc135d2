/**
 * The gate's added cost per call: a tool called directly, then through `gate.run` with 0 and 3 no-op guards (audit
 * off, and audit on into memory), then the same with an observer attached. Times are CPU time per call (the whole
 * process, so the garbage collector's threads count); the cases run interleaved, round after round, and each row is
 * the median round, so a busy machine skews every case alike; a fresh memory sink per round keeps the heap from
 * growing with the run. The last table is what the audit (and an idle observer) adds to the same gate, round by
 * round, in the same run; the audited path's budget is 15 µs per call with 3 guards (4 events: 3 decisions and the
 * outcome).
 *
 * Where an audited call's time goes: per event, its canonical JSON and SHA-256 (about 1.2 µs together, both native),
 * then building the event object, its id and the garbage of all three.
 */
import {
  createGate,
  createSession,
  defineGuard,
  type Gate,
  type GateObserver,
  type Guard,
  memoryAudit,
} from '@agentgate/core';

const ROUNDS = 21;
/** The audited path's budget: µs added per call with 3 no-op guards and the memory audit. */
const AUDIT_BUDGET_US = 15;
const CALLS_PER_ROUND = 4_000;

interface Case {
  label: string;
  /** Builds what one round calls (a fresh gate, so a memory sink starts empty). */
  prepare: () => () => Promise<unknown>;
}

/** CPU time per call (user + system, µs): the process's own work, so other processes on the machine do not count. */
async function timeRound(call: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let index = 0; index < CALLS_PER_ROUND; index++) await call();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / CALLS_PER_ROUND;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function run(): Promise<void> {
  const session = createSession({ sub: 'bench-user' });
  const tool = { name: 'add' };
  const execute = async (args: unknown) =>
    (args as { a: number; b: number }).a + (args as { a: number; b: number }).b;
  const args = { a: 1, b: 2 };
  const noop = (name: string): Guard<unknown> => defineGuard({ name, kind: 'noop', check: () => {} });
  const threeGuards = [noop('one'), noop('two'), noop('three')];
  // An observer following every call and phase, doing nothing: the cost of the hooks themselves.
  const phase = { runInContext: <T>(work: () => T): T => work(), end: () => undefined };
  const idleObserver: GateObserver = {
    onRunStart: () => ({
      onGuardStart: () => phase,
      onExecuteStart: () => phase,
      onAuditEvent: () => undefined,
      onRunEnd: () => undefined,
    }),
  };
  const through = (gate: Gate, guards: readonly Guard<unknown>[]) => () =>
    gate.run({ tool, args }, session, guards, execute);

  const cases: Case[] = [
    { label: 'direct call', prepare: () => () => execute(args) },
    { label: 'gate, 0 guards, no audit', prepare: () => through(createGate({ audit: false }), []) },
    {
      label: 'gate, 3 no-op guards, no audit',
      prepare: () => through(createGate({ audit: false }), threeGuards),
    },
    {
      label: 'gate, 0 guards, memory audit',
      prepare: () => through(createGate({ audit: memoryAudit() }), []),
    },
    {
      label: 'gate, 3 no-op guards, memory audit',
      prepare: () => through(createGate({ audit: memoryAudit() }), threeGuards),
    },
    {
      label: 'gate, 3 no-op guards, audit log, sink keeping nothing',
      prepare: () => through(createGate({ audit: { write: () => undefined } }), threeGuards),
    },
    {
      label: 'gate, 3 no-op guards, memory audit, idle observer',
      prepare: () => through(createGate({ audit: memoryAudit(), observers: [idleObserver] }), threeGuards),
    },
  ];

  for (const entry of cases) {
    const warm = entry.prepare();
    for (let index = 0; index < 2_000; index++) await warm();
  }
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, entry] of cases.entries()) samples[index]!.push(await timeRound(entry.prepare()));
  }
  const perCall = samples.map(median);
  const direct = perCall[0]!;
  console.log(
    `\ncore gate overhead, CPU µs per call (median of ${ROUNDS} interleaved rounds of ${CALLS_PER_ROUND.toLocaleString('en')} calls)`,
  );
  console.table(
    cases.map((entry, index) => ({
      case: entry.label,
      'µs / call': perCall[index]!.toFixed(2),
      'ratio to direct': `${(perCall[index]! / direct).toFixed(1)}×`,
      'added µs': (perCall[index]! - direct).toFixed(2),
    })),
  );
  // What the audit adds to the same gate, round by round (each round times both side by side).
  const auditAdds = (audited: number, quiet: number) =>
    median(samples[audited]!.map((value, round) => value - samples[quiet]![round]!));
  const audited = auditAdds(4, 2);
  console.table([
    { case: 'memory audit, 0 guards (2 events / call)', 'added µs / call': auditAdds(3, 1).toFixed(2) },
    { case: 'memory audit, 3 no-op guards (4 events / call)', 'added µs / call': audited.toFixed(2) },
    {
      case: 'audit log alone (sink keeping nothing), 3 no-op guards',
      'added µs / call': auditAdds(5, 2).toFixed(2),
    },
    { case: 'idle observer on the audited gate', 'added µs / call': auditAdds(6, 4).toFixed(2) },
  ]);
  console.log(
    `audited path, 3 no-op guards: ${audited.toFixed(2)} µs added per call ` +
      `(budget ${AUDIT_BUDGET_US} µs: ${audited <= AUDIT_BUDGET_US ? 'within' : 'OVER'})`,
  );
}
