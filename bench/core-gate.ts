/**
 * The gate's added cost per call: a tool called directly, then through `gate.run` with 0 and 3 no-op guards
 * (audit off, and audit on into memory). Prints time per call and the ratio to the direct call.
 */
import { createGate, createSession, defineGuard, type Guard, memoryAudit } from '@agentgate/core';

const ITERATIONS = 50_000;

async function timePerCall(
  label: string,
  call: () => Promise<unknown>,
): Promise<{ label: string; microseconds: number }> {
  for (let index = 0; index < 2_000; index++) await call(); // warm up
  const start = process.hrtime.bigint();
  for (let index = 0; index < ITERATIONS; index++) await call();
  const elapsed = Number(process.hrtime.bigint() - start) / 1_000;
  return { label, microseconds: elapsed / ITERATIONS };
}

export async function run(): Promise<void> {
  const session = createSession({ sub: 'bench-user' });
  const tool = { name: 'add' };
  const execute = async (args: unknown) =>
    (args as { a: number; b: number }).a + (args as { a: number; b: number }).b;
  const args = { a: 1, b: 2 };
  const noop = (name: string): Guard<unknown> => defineGuard({ name, kind: 'noop', check: () => {} });
  const threeGuards = [noop('one'), noop('two'), noop('three')];
  const quiet = createGate({ audit: false });
  const audited = createGate({ audit: memoryAudit() });

  const rows = [
    await timePerCall('direct call', () => execute(args)),
    await timePerCall('gate, 0 guards, no audit', () => quiet.run({ tool, args }, session, [], execute)),
    await timePerCall('gate, 3 no-op guards, no audit', () =>
      quiet.run({ tool, args }, session, threeGuards, execute),
    ),
    await timePerCall('gate, 0 guards, memory audit', () =>
      audited.run({ tool, args }, session, [], execute),
    ),
    await timePerCall('gate, 3 no-op guards, memory audit', () =>
      audited.run({ tool, args }, session, threeGuards, execute),
    ),
  ];
  const direct = rows[0]!.microseconds;
  console.log(`\ncore gate overhead (${ITERATIONS.toLocaleString('en')} calls each)`);
  console.table(
    rows.map((row) => ({
      case: row.label,
      'µs / call': row.microseconds.toFixed(2),
      'ratio to direct': `${(row.microseconds / direct).toFixed(1)}×`,
      'added µs': (row.microseconds - direct).toFixed(2),
    })),
  );
}
