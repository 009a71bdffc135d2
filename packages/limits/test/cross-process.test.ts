import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';

interface WorkerReport {
  ran: number;
  limited: number;
  other: string[];
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

// Starting three Node processes with tsx takes seconds on a busy machine: each test may take up to two minutes.
const WORKER = fileURLToPath(new URL('./support/limit-worker.ts', import.meta.url));

/** Starts a worker process: `ready` resolves once it is connected and waiting for `go`, `report` with its result. */
function startWorker(env: Record<string, string>) {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--conditions=@agentgate/source', '--import', tsx, WORKER], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) => {
    child.on('exit', (code) => reject(new Error(`worker exited with ${code} before answering: ${stderr}`)));
  });
  const nextLine = async (): Promise<string> => {
    const line = await Promise.race([lines.next(), exited]);
    if (line.done) throw new Error(`worker closed its output: ${stderr}`);
    return line.value;
  };
  return {
    ready: nextLine(),
    go: async (): Promise<WorkerReport> => {
      child.stdin.write('go\n');
      return JSON.parse(await nextLine()) as WorkerReport;
    },
  };
}

/** 500 calls split over 3 processes (167 + 167 + 166), released together once all three are connected. */
async function runAcrossProcesses(env: Record<string, string>): Promise<WorkerReport[]> {
  const workers = [167, 167, 166].map((calls) =>
    startWorker({
      ...env,
      REDIS_URL: server.url,
      CALLS: String(calls),
      NOW: String(Date.UTC(2026, 5, 1, 10)),
    }),
  );
  await expect(Promise.all(workers.map((worker) => worker.ready))).resolves.toEqual([
    'ready',
    'ready',
    'ready',
  ]);
  return Promise.all(workers.map((worker) => worker.go()));
}

describe('limits across 3 processes sharing one Redis', () => {
  it('a rate limit admits exactly its limit of 500 concurrent calls', async () => {
    const reports = await runAcrossProcesses({ GUARD: 'rate', LIMIT: '100', PREFIX: 'xp-rate:' });
    expect(reports.flatMap((report) => report.other)).toEqual([]);
    expect(reports.reduce((sum, report) => sum + report.ran, 0)).toBe(100);
    expect(reports.reduce((sum, report) => sum + report.limited, 0)).toBe(400);
  }, 120_000);

  it('a spend quota admits exactly the calls whose amounts fit', async () => {
    const reports = await runAcrossProcesses({ GUARD: 'quota', LIMIT: '1000', PREFIX: 'xp-quota:' });
    expect(reports.flatMap((report) => report.other)).toEqual([]);
    // Each call costs 7: floor(1000 / 7) = 142 fit, 994 spent.
    expect(reports.reduce((sum, report) => sum + report.ran, 0)).toBe(142);
    expect(reports.reduce((sum, report) => sum + report.limited, 0)).toBe(358);
  }, 120_000);
});
