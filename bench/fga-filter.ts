/**
 * Benchmark of `@agentgate/fga`'s document filter: 10,000 documents in 100 folders (document i in folder i mod 100),
 * three readers who see 1 %, 50 % and 99 % of them through folder viewer tuples. For 100, 1,000 and 10,000 candidates
 * (a fixed pseudo-random ranking) it times the naive way (one `/check` per document, 10 in flight), `post` (batch
 * check), `pre` (list objects) and `adaptive`, through `@openfga/sdk` against fga-local's server on loopback and
 * in-process against the engine. Requests are counted where they arrive (the engine behind the server), so they are
 * exact. Each authorizer is long-lived (adaptive learns across calls, one warm-up call first); no call shares a turn
 * memo, so every timed call asks the server.
 *
 * Aims: adaptive within 20 % of the better of post and pre; adaptive ≥ 10× faster than one check per document at
 * 1,000 candidates.
 */
import { createSession } from '@agentgate/core';
import { createFgaAuthorizer, type FgaAuthorizer, type FilterStrategy } from '@agentgate/fga';
import { createLocalFga, type LocalFga, startOpenFgaServer, type TupleKey } from '@agentgate/fga-local';

const DOCUMENTS = 10_000;
const FOLDERS = 100;
const SIZES = [100, 1_000, 10_000] as const;
const VISIBLE = [1, 50, 99] as const;
const NAIVE_MAX = 1_000; // one request per document: 10,000 would dominate the run time and prove nothing new
const REPEATS: Record<number, number> = { 100: 41, 1000: 15, 10000: 5 };

const dsl = `model
  schema 1.1
type user
type folder
  relations
    define viewer: [user]
type doc
  relations
    define parent: [folder]
    define viewer: [user] or viewer from parent`;

interface Doc {
  id: number;
}

interface Row {
  backend: string;
  candidates: number;
  visible: string;
  way: string;
  requests: number;
  medianMs: number;
  p99Ms: number;
  chose: string;
}

/** Counts the engine calls, i.e. the HTTP requests the server answered (one engine call each). */
function counted(engine: LocalFga): { engine: LocalFga; count: () => number; reset: () => void } {
  let calls = 0;
  const wrap = <Name extends 'check' | 'batchCheck' | 'listObjects'>(name: Name) => {
    const original = engine[name].bind(engine) as (...args: unknown[]) => unknown;
    (engine as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls++;
      return original(...args);
    };
  };
  wrap('check');
  wrap('batchCheck');
  wrap('listObjects');
  return { engine, count: () => calls, reset: () => (calls = 0) };
}

function seed(engine: LocalFga): { storeId: string; modelId: string } {
  const { id: storeId } = engine.createStore({ name: 'bench-fga-filter' });
  const { authorization_model_id: modelId } = engine.writeAuthorizationModelFromDsl(storeId, dsl);
  const tuples: TupleKey[] = [];
  for (let index = 0; index < DOCUMENTS; index++) {
    tuples.push({ user: `folder:f${index % FOLDERS}`, relation: 'parent', object: `doc:${index}` });
  }
  for (const percent of VISIBLE) {
    for (let folder = 0; folder < percent; folder++) {
      tuples.push({ user: `user:reader${percent}`, relation: 'viewer', object: `folder:f${folder}` });
    }
  }
  for (let start = 0; start < tuples.length; start += 100) {
    engine.write(storeId, { writes: tuples.slice(start, start + 100) });
  }
  return { storeId, modelId };
}

/** A fixed ranking of the corpus (multiplicative permutation), so candidates mix folders like a real retriever. */
const ranked: Doc[] = Array.from({ length: DOCUMENTS }, (_, rank) => ({ id: (rank * 7_919) % DOCUMENTS }));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

async function naive(authorizer: FgaAuthorizer, session: ReturnType<typeof createSession>, docs: Doc[]) {
  const allowed: Doc[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < docs.length) {
        const doc = docs[next++]!;
        if (await authorizer.check({ session, relation: 'viewer', object: `doc:${doc.id}` }))
          allowed.push(doc);
      }
    }),
  );
  return allowed.length;
}

export async function run(): Promise<void> {
  const counter = counted(createLocalFga());
  const { storeId, modelId } = seed(counter.engine);
  const server = await startOpenFgaServer({ engine: counter.engine });
  const rows: Row[] = [];
  try {
    const backends: [string, () => FgaAuthorizer][] = [
      [
        'server (SDK)',
        () =>
          createFgaAuthorizer({
            apiUrl: server.apiUrl,
            storeId,
            authorizationModelId: modelId,
            listObjectsMaxResults: Number.POSITIVE_INFINITY, // fga-local's server does not cap lists
          }),
      ],
      [
        'in-process',
        () => createFgaAuthorizer({ local: counter.engine, storeId, authorizationModelId: modelId }),
      ],
    ];
    for (const [backend, make] of backends) {
      for (const size of SIZES) {
        const candidates = ranked.slice(0, size);
        for (const percent of VISIBLE) {
          const session = createSession({ sub: `reader${percent}` });
          const ways: (FilterStrategy | 'naive')[] =
            size <= NAIVE_MAX ? ['naive', 'post', 'pre', 'adaptive'] : ['post', 'pre', 'adaptive'];
          for (const way of ways) {
            const authorizer = make();
            const once = async (): Promise<{ strategy: string; count: number }> => {
              if (way === 'naive')
                return { strategy: '-', count: await naive(authorizer, session, candidates) };
              const result = await authorizer.filterDocuments(candidates, {
                session,
                relation: 'viewer',
                object: (doc) => `doc:${doc.id}`,
                strategy: way,
              });
              if (!result.success) throw result.error;
              return { strategy: result.strategy, count: result.documents.length };
            };
            const first = await once(); // warm-up; adaptive learns here
            const durations: number[] = [];
            const chosen = new Set<string>();
            counter.reset();
            const repeats = way === 'naive' ? Math.min(5, REPEATS[size]!) : REPEATS[size]!;
            for (let repeat = 0; repeat < repeats; repeat++) {
              const started = performance.now();
              const outcome = await once();
              durations.push(performance.now() - started);
              chosen.add(outcome.strategy);
              if (outcome.count !== first.count) throw new Error(`${way} changed its answer between runs`);
            }
            durations.sort((a, b) => a - b);
            rows.push({
              backend,
              candidates: size,
              visible: `${percent} %`,
              way,
              requests: backend === 'in-process' ? 0 : Math.round(counter.count() / repeats),
              medianMs: quantile(durations, 0.5),
              p99Ms: quantile(durations, 0.99),
              chose:
                way === 'adaptive'
                  ? [...chosen].join('/') +
                    (first.strategy !== [...chosen][0] ? ` (first: ${first.strategy})` : '')
                  : '',
            });
          }
        }
      }
    }
  } finally {
    await server.close();
  }

  console.log(
    `\nfga filter: ${DOCUMENTS.toLocaleString('en')} documents in ${FOLDERS} folders; median / p99 of ${Object.values(REPEATS).join(' / ')} runs (naive: 5)`,
  );
  console.table(
    rows.map((row) => ({
      backend: row.backend,
      candidates: row.candidates.toLocaleString('en'),
      visible: row.visible,
      way: row.way,
      'HTTP requests': row.backend === 'in-process' ? '-' : row.requests,
      'median ms': row.medianMs.toFixed(2),
      'p99 ms': row.p99Ms.toFixed(2),
      'adaptive chose': row.chose,
    })),
  );

  const verdicts: string[] = [];
  let worst = 0;
  for (const backend of new Set(rows.map((row) => row.backend))) {
    for (const size of SIZES) {
      for (const percent of VISIBLE) {
        const cell = rows.filter(
          (row) => row.backend === backend && row.candidates === size && row.visible === `${percent} %`,
        );
        const time = (way: string) => cell.find((row) => row.way === way)?.medianMs ?? Number.NaN;
        const best = Math.min(time('post'), time('pre'));
        const ratio = time('adaptive') / best;
        worst = Math.max(worst, ratio);
        if (ratio > 1.2) {
          const better = time('post') <= time('pre') ? 'post' : 'pre';
          const chose = cell.find((row) => row.way === 'adaptive')?.chose.split(' ')[0];
          verdicts.push(
            `  ${backend} ${size} × ${percent} %: adaptive ${ratio.toFixed(2)}× the better of post and pre${chose === better ? ` (it chose ${better} too: timing noise)` : ` (chose ${chose}, ${better} was better)`}`,
          );
        }
        if (size === 1_000) {
          const speedup = time('naive') / time('adaptive');
          verdicts.push(
            `  ${backend} 1,000 × ${percent} %: adaptive ${speedup.toFixed(1)}× faster than one check per document ${speedup >= 10 ? '(aim met)' : '(aim ≥ 10×: MISSED)'}`,
          );
        }
      }
    }
  }
  console.log(`adaptive vs the better of post and pre: worst ${worst.toFixed(2)}× (aim ≤ 1.20×)`);
  for (const line of verdicts) console.log(line);
}
