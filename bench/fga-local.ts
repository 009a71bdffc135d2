/**
 * Benchmark of `@agentgate/fga-local`: a Drive-like model (users, nested groups, folders nested five deep
 * with `viewer from parent`, documents with owner / editor / viewer `but not blocked`), 10,000 documents,
 * 1,000 users, 100 groups, about 100,000 tuples, generated deterministically. Measures the in-process
 * engine and the same queries through the HTTP server with `@openfga/sdk`, and prints them beside the aims.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLocalFga, type LocalFga, startOpenFgaServer, type TupleKey } from '@agentgate/fga-local';
import { OpenFgaClient } from '@openfga/sdk';

const dsl = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, group#member] or owner or viewer from parent
type document
  relations
    define parent: [folder]
    define blocked: [user]
    define owner: [user]
    define editor: [user, group#member] or owner
    define viewer: ([user, group#member] or editor or viewer from parent) but not blocked`;

const USERS = 1_000;
const GROUPS = 100;
const DOCUMENTS = 10_000;
/** Folder tree: 10 roots, each folder with 3 children, five levels (10, 30, 90, 270, 810 folders). */
const ROOTS = 10;
const BRANCHING = 3;
const LEVELS = 5;
/** Users u0..u9 are the benchmark's probes and get no random tuples. */
const PROBES = 10;

/** mulberry32: a small deterministic pseudo-random generator. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Dataset {
  tuples: TupleKey[];
  /** Folders per level; `levels[0]` are the roots, `levels[4]` the leaves documents live in. */
  levels: string[][];
  /** The leaf folder of each document. */
  documentFolder: string[];
  /** Pairs (user, document) where the user is a direct viewer. */
  directPairs: [string, string][];
}

function generate(): Dataset {
  const next = random(20_261_122);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const tuples: TupleKey[] = [];
  const seen = new Set<string>();
  /** Adds a tuple once (random picks may repeat one). */
  const add = (tuple: TupleKey) => {
    const key = `${tuple.object}#${tuple.relation}@${tuple.user}`;
    if (seen.has(key)) return;
    seen.add(key);
    tuples.push(tuple);
  };
  const randomUser = () => `user:u${PROBES + Math.floor(next() * (USERS - PROBES))}`;

  // Groups: every user in two groups; group g(i) is a member of group g(floor(i / 10)) (nested groups).
  for (let index = PROBES; index < USERS; index++) {
    add({ user: `user:u${index}`, relation: 'member', object: `group:g${index % GROUPS}` });
    add({ user: `user:u${index}`, relation: 'member', object: `group:g${(index * 7 + 3) % GROUPS}` });
  }
  for (let index = 10; index < GROUPS; index++) {
    add({
      user: `group:g${index}#member`,
      relation: 'member',
      object: `group:g${Math.floor(index / 10)}`,
    });
  }

  // Folders, five levels deep.
  const levels: string[][] = [Array.from({ length: ROOTS }, (_, index) => `folder:r${index}`)];
  for (let level = 1; level < LEVELS; level++) {
    const parents = levels[level - 1] as string[];
    const children: string[] = [];
    for (const parent of parents) {
      for (let child = 0; child < BRANCHING; child++) {
        const folder = `${parent}-${child}`;
        children.push(folder);
        add({ user: parent, relation: 'parent', object: folder });
      }
    }
    levels.push(children);
  }
  for (const folders of levels) {
    for (const folder of folders) {
      add({ user: randomUser(), relation: 'owner', object: folder });
      if (next() < 0.3)
        add({
          user: `group:g${10 + Math.floor(next() * 90)}#member`,
          relation: 'viewer',
          object: folder,
        });
    }
  }

  // Documents in leaf folders: owner, two editors, four direct viewers, a group viewer, 1 in 20 blocks someone.
  const leaves = levels[LEVELS - 1] as string[];
  const documentFolder: string[] = [];
  const directPairs: [string, string][] = [];
  for (let index = 0; index < DOCUMENTS; index++) {
    const document = `document:d${index}`;
    const folder = leaves[index % leaves.length] as string;
    documentFolder.push(folder);
    add({ user: folder, relation: 'parent', object: document });
    add({ user: randomUser(), relation: 'owner', object: document });
    for (let editor = 0; editor < 2; editor++)
      add({ user: randomUser(), relation: 'editor', object: document });
    const viewers = new Set<string>();
    while (viewers.size < 4) viewers.add(randomUser());
    for (const viewer of viewers) {
      add({ user: viewer, relation: 'viewer', object: document });
      directPairs.push([viewer, document]);
    }
    add({
      user: `group:g${10 + Math.floor(next() * 90)}#member`,
      relation: 'viewer',
      object: document,
    });
    if (index % 20 === 0) add({ user: pick([...viewers]), relation: 'blocked', object: document });
  }

  // Probes. u1: viewer of root r0 (sees 1/10 of documents, 5 levels down). u2: viewer of one level-3
  // folder (≈1 % of documents). u3: member of a group that views five of the ten roots (≈50 %).
  add({ user: 'user:u1', relation: 'viewer', object: 'folder:r0' });
  add({ user: 'user:u2', relation: 'viewer', object: (levels[2] as string[])[0] as string });
  add({ user: 'user:u3', relation: 'member', object: 'group:half' });
  for (let root = 0; root < ROOTS / 2; root++) {
    add({ user: 'group:half#member', relation: 'viewer', object: `folder:r${root}` });
  }
  return { tuples, levels, documentFolder, directPairs };
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

interface Timing {
  perSecond: number;
  medianMicros: number;
  p99Micros: number;
}

/** Runs `call` once per input, timing each call. */
async function time<T>(inputs: readonly T[], call: (input: T) => unknown): Promise<Timing> {
  const durations = new Float64Array(inputs.length);
  const started = performance.now();
  for (let index = 0; index < inputs.length; index++) {
    const before = performance.now();
    const result = call(inputs[index] as T);
    // Await only real promises: an extra microtask turn per synchronous call would be measured too.
    if (result instanceof Promise) await result;
    durations[index] = performance.now() - before;
  }
  const total = performance.now() - started;
  durations.sort();
  return {
    perSecond: (inputs.length / total) * 1000,
    medianMicros: (durations[Math.floor(durations.length / 2)] as number) * 1000,
    p99Micros: (durations[Math.floor(durations.length * 0.99)] as number) * 1000,
  };
}

const rows: [string, string, string, string][] = [];
const format = {
  rate: (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`,
  micros: (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(1)} µs`),
  ms: (value: number) => `${value.toFixed(2)} ms`,
};

/** One table row; `met` says whether the aim (if any) is reached. */
function report(measure: string, result: string, aim = '', met?: boolean): void {
  rows.push([measure, result, aim, met === undefined ? '' : met ? 'yes' : 'NO']);
}

function printTable(): void {
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0), 8));
  const line = (cells: string[]) =>
    cells.map((cell, index) => cell.padEnd(widths[index] as number)).join('  ');
  console.log(line(['measure', 'result', 'aim', 'aim met']));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function run(): Promise<void> {
  const gc = collectGarbage();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const data = generate();
  const next = random(7);
  const tupleCount = data.tuples.length;
  const engine: LocalFga = createLocalFga();
  const { id: storeId } = engine.createStore({ name: 'bench' });
  const { authorization_model_id: modelId } = engine.writeAuthorizationModelFromDsl(storeId, dsl);
  const loadStarted = performance.now();
  for (let start = 0; start < data.tuples.length; start += 100) {
    engine.write(storeId, { writes: data.tuples.slice(start, start + 100) });
  }
  const loadMs = performance.now() - loadStarted;
  // Drop the generated tuples so only the engine's copy (and the small probe lists) stay on the heap.
  data.tuples.length = 0;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  report('tuples loaded', `${tupleCount.toLocaleString('en-US')} in ${format.ms(loadMs)}`);
  report('heap used, engine + tuples (upper bound)', `${heapMb.toFixed(1)} MB`, '< 100 MB', heapMb < 100);

  // In-process check: direct viewers, then viewers through five folder levels (u1 views root r0).
  const directInputs = Array.from(
    { length: 20_000 },
    () => data.directPairs[Math.floor(next() * data.directPairs.length)] as [string, string],
  );
  const r0Documents = data.documentFolder.flatMap((folder, index) =>
    folder.startsWith('folder:r0-') ? [`document:d${index}`] : [],
  );
  const deepInputs = Array.from(
    { length: 20_000 },
    () => r0Documents[Math.floor(next() * r0Documents.length)] as string,
  );
  const check = (user: string, object: string) =>
    engine.check(storeId, {
      authorization_model_id: modelId,
      tuple_key: { user, relation: 'viewer', object },
    });

  if (!check('user:u1', deepInputs[0] as string).allowed)
    throw new Error('benchmark data: u1 should view r0 documents');
  const direct = await time(directInputs, ([user, object]) => check(user, object));
  const deep = await time(deepInputs, (object) => check('user:u1', object));
  report(
    'check, direct viewer (in-process)',
    `${format.rate(direct.perSecond)}, median ${format.micros(direct.medianMicros)}, p99 ${format.micros(direct.p99Micros)}`,
  );
  report(
    'check, viewer 5 folders up (in-process)',
    `${format.rate(deep.perSecond)}, median ${format.micros(deep.medianMicros)}, p99 ${format.micros(deep.p99Micros)}`,
    'median < 50 µs',
    deep.medianMicros < 50,
  );

  // batchCheck of 1,000 documents for one user.
  const batch = Array.from({ length: 1_000 }, (_, index) => ({
    tuple_key: { user: 'user:u3', relation: 'viewer', object: `document:d${index * 10}` },
    correlation_id: `c${index}`,
  }));
  const batchTimes: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    engine.batchCheck(storeId, { authorization_model_id: modelId, checks: batch });
    batchTimes.push(performance.now() - started);
  }
  report('batchCheck, 1,000 documents (in-process)', `median ${format.ms(median(batchTimes))}`);

  // listObjects for the 1 % reader (u2) and the 50 % reader (u3).
  const listObjects = (user: string) =>
    engine.listObjects(storeId, {
      authorization_model_id: modelId,
      user,
      relation: 'viewer',
      type: 'document',
    });
  for (const [user, label] of [
    ['user:u2', '≈1 %'],
    ['user:u3', '≈50 %'],
  ] as const) {
    const times: number[] = [];
    let count = 0;
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      count = listObjects(user).objects.length;
      times.push(performance.now() - started);
    }
    report(
      `listObjects, reader of ${label} (in-process)`,
      `${count.toLocaleString('en-US')} documents, median ${format.ms(median(times))}`,
      '< 50 ms',
      median(times) < 50,
    );
  }

  // The same through the HTTP server with @openfga/sdk.
  const server = await startOpenFgaServer({ engine });
  try {
    const fga = new OpenFgaClient({ apiUrl: server.apiUrl, storeId, authorizationModelId: modelId });
    const httpDirect = await time(directInputs.slice(0, 2_000), ([user, object]) =>
      fga.check({ user, relation: 'viewer', object }),
    );
    const httpDeep = await time(deepInputs.slice(0, 2_000), (object) =>
      fga.check({ user: 'user:u1', relation: 'viewer', object }),
    );
    report(
      'check, direct viewer (HTTP + SDK)',
      `${format.rate(httpDirect.perSecond)}, median ${format.micros(httpDirect.medianMicros)}, p99 ${format.micros(httpDirect.p99Micros)}`,
    );
    report(
      'check, viewer 5 folders up (HTTP + SDK)',
      `${format.rate(httpDeep.perSecond)}, median ${format.micros(httpDeep.medianMicros)}, p99 ${format.micros(httpDeep.p99Micros)}`,
    );

    const sdkBatch = batch.map((item) => ({ ...item.tuple_key }));
    const httpBatchTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      await fga.batchCheck({ checks: sdkBatch.map((checkItem) => ({ ...checkItem })) });
      httpBatchTimes.push(performance.now() - started);
    }
    report(
      'batchCheck, 1,000 documents (HTTP + SDK, 20 × 50)',
      `median ${format.ms(median(httpBatchTimes))}`,
    );

    for (const [user, label] of [
      ['user:u2', '≈1 %'],
      ['user:u3', '≈50 %'],
    ] as const) {
      const times: number[] = [];
      let count = 0;
      for (let round = 0; round < 3; round++) {
        const started = performance.now();
        count = (await fga.listObjects({ user, relation: 'viewer', type: 'document' })).objects.length;
        times.push(performance.now() - started);
      }
      report(
        `listObjects, reader of ${label} (HTTP + SDK)`,
        `${count.toLocaleString('en-US')} documents, median ${format.ms(median(times))}`,
      );
    }
  } finally {
    await server.close();
  }
  printTable();
}
