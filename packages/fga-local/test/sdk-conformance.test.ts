/**
 * OpenFGA's conformance suite, run through the real `@openfga/sdk` client against `startOpenFgaServer`:
 * a new store per test, the model written as JSON (DSL → JSON by `@openfga/syntax-transformer`), tuples
 * written in chunks of at most 100, then every check, list-objects (plain and streamed) and list-users
 * assertion. Like OpenFGA's own harness, each single-stage test runs a second time with its tuples sent
 * as contextual tuples instead of written. Assertions known to fail are listed in CONFORMANCE.md.
 */
import { OpenFgaClient, type TupleKey } from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FGA_NUMERIC_CODES, type OpenFgaServer, startOpenFgaServer } from '../src/index';
import {
  type ConformanceStage,
  type ConformanceTest,
  type ConformanceTuple,
  countAssertions,
  loadConformanceSuite,
} from './conformance/load';

/**
 * Assertions that fail through the SDK, keyed `<mode> <test> #<stage> <kind>[<index>]`, with the reason.
 * Keep in step with the server section of CONFORMANCE.md.
 */
const knownFailures: Record<string, string> = {};

/** The pass count CONFORMANCE.md claims; the suite fails if fewer pass. */
const claimedPasses = 2187;

type Mode = 'written' | 'contextual';
/** OpenFGA's code name for each number the suite expects (2000 → `validation_error`, …). */
const codeNames = new Map(Object.entries(FGA_NUMERIC_CODES).map(([name, number]) => [number, name]));
const suite = loadConformanceSuite();
const outcomes: { key: string; passed: boolean; detail?: string }[] = [];

let server: OpenFgaServer;
let admin: OpenFgaClient;

beforeAll(async () => {
  server = await startOpenFgaServer();
  admin = new OpenFgaClient({ apiUrl: server.apiUrl });
});
afterAll(() => server?.close());

function asClientTuples(tuples: ConformanceTuple[]): TupleKey[] {
  return tuples as TupleKey[];
}

function errorOf(error: unknown): { status?: number; code?: string; message: string } {
  const details = error as { statusCode?: number; apiErrorCode?: string; message?: string };
  return { status: details.statusCode, code: details.apiErrorCode, message: String(details.message) };
}

/** Compare an expected error number with the SDK error, or an expected value with the answer. */
async function settle<T>(
  key: string,
  errorCode: number | undefined,
  call: () => Promise<T>,
  matches: (value: T) => string | undefined,
): Promise<void> {
  try {
    const value = await call();
    if (errorCode !== undefined) {
      outcomes.push({
        key,
        passed: false,
        detail: `expected error ${errorCode}, got ${JSON.stringify(value)}`,
      });
      return;
    }
    const mismatch = matches(value);
    outcomes.push({ key, passed: mismatch === undefined, detail: mismatch });
  } catch (caught) {
    const error = errorOf(caught);
    if (errorCode === undefined) {
      outcomes.push({
        key,
        passed: false,
        detail: `unexpected error ${error.status} ${error.code}: ${error.message}`,
      });
      return;
    }
    const expected = codeNames.get(errorCode) ?? `code ${errorCode}`;
    const passed = error.code === expected && error.status !== undefined && error.status < 500;
    outcomes.push({ key, passed, detail: passed ? undefined : `expected ${expected}, got ${error.code}` });
  }
}

function sameSet(actual: string[], expected: string[]): string | undefined {
  const left = [...actual].sort();
  const right = [...expected].sort();
  return JSON.stringify(left) === JSON.stringify(right)
    ? undefined
    : `expected ${JSON.stringify(right)}, got ${JSON.stringify(left)}`;
}

function userString(user: {
  object?: { type: string; id: string };
  userset?: { type: string; id: string; relation: string };
  wildcard?: { type: string };
}): string {
  if (user.object) return `${user.object.type}:${user.object.id}`;
  if (user.userset) return `${user.userset.type}:${user.userset.id}#${user.userset.relation}`;
  if (user.wildcard) return `${user.wildcard.type}:*`;
  return JSON.stringify(user);
}

async function runStage(
  fga: OpenFgaClient,
  stage: ConformanceStage,
  prefix: string,
  mode: Mode,
): Promise<void> {
  const model = transformer.transformDSLToJSONObject(stage.model) as unknown as Parameters<
    OpenFgaClient['writeAuthorizationModel']
  >[0];
  const { authorization_model_id: authorizationModelId } = await fga.writeAuthorizationModel(model);
  const options = { authorizationModelId };
  if (mode === 'written') {
    for (let start = 0; start < stage.tuples.length; start += 100) {
      await fga.write({ writes: asClientTuples(stage.tuples.slice(start, start + 100)) }, options);
    }
  }
  const extra = mode === 'contextual' ? stage.tuples : [];

  for (const [index, assertion] of stage.checkAssertions.entries()) {
    await settle(
      `${prefix} check[${index}]`,
      assertion.errorCode,
      () =>
        fga.check(
          {
            ...assertion.tuple,
            contextualTuples: asClientTuples([...assertion.contextualTuples, ...extra]),
            context: assertion.context,
          },
          options,
        ),
      (response) =>
        response.allowed === assertion.expectation
          ? undefined
          : `expected allowed=${assertion.expectation}, got ${response.allowed}`,
    );
  }

  for (const [index, assertion] of stage.listObjectsAssertions.entries()) {
    const body = {
      ...assertion.request,
      contextualTuples: asClientTuples([...assertion.contextualTuples, ...extra]),
      context: assertion.context,
    };
    await settle(
      `${prefix} listObjects[${index}]`,
      assertion.errorCode,
      async () => {
        const { objects } = await fga.listObjects(body, options);
        const streamed: string[] = [];
        for await (const item of fga.streamedListObjects(body, options)) streamed.push(item.object);
        return { objects, streamed };
      },
      ({ objects, streamed }) =>
        sameSet(objects, assertion.expectation) ??
        (sameSet(streamed, assertion.expectation) && `streamed: ${sameSet(streamed, assertion.expectation)}`),
    );
  }

  for (const [index, assertion] of stage.listUsersAssertions.entries()) {
    const [type = '', id = ''] = assertion.request.object.split(/:(.*)/s);
    await settle(
      `${prefix} listUsers[${index}]`,
      assertion.errorCode,
      () =>
        fga.listUsers(
          {
            object: { type, id },
            relation: assertion.request.relation,
            user_filters: assertion.request.filters.map((filter) => {
              const [filterType = '', relation] = filter.split('#');
              return relation ? { type: filterType, relation } : { type: filterType };
            }),
            contextualTuples: asClientTuples([...assertion.contextualTuples, ...extra]),
            context: assertion.context,
          },
          options,
        ),
      (response) => sameSet(response.users.map(userString), assertion.expectation),
    );
  }
}

/** Single-stage tests whose tuples fit OpenFGA's contextual-tuple limit run a second time, contextually. */
function runsContextually(test: ConformanceTest): boolean {
  const [stage] = test.stages;
  if (test.stages.length !== 1 || !stage || stage.tuples.length === 0) return false;
  const contextual = [...stage.checkAssertions, ...stage.listObjectsAssertions, ...stage.listUsersAssertions];
  return contextual.every((assertion) => assertion.contextualTuples.length + stage.tuples.length <= 100);
}

describe.each<Mode>(['written', 'contextual'])(
  'OpenFGA conformance through @openfga/sdk (%s tuples)',
  (mode) => {
    const tests = mode === 'written' ? suite : suite.filter(runsContextually);
    it.each(tests.map((test) => [test.name, test] as const))('%s', async (_name, test) => {
      const { id: storeId } = await admin.createStore({ name: test.name });
      const fga = new OpenFgaClient({
        apiUrl: server.apiUrl,
        storeId,
        retryParams: { maxRetry: 0, minWaitInMs: 0 },
      });
      for (const [index, stage] of test.stages.entries()) {
        await runStage(fga, stage, `${mode} ${test.name} #${index}`, mode);
      }
      const unexpected = outcomes
        .filter((outcome) => outcome.key.startsWith(`${mode} ${test.name} #`))
        .filter((outcome) => !outcome.passed && !(outcome.key in knownFailures));
      expect(unexpected.map((outcome) => `${outcome.key}: ${outcome.detail}`)).toEqual([]);
    });
  },
);

describe('OpenFGA conformance through @openfga/sdk: totals', () => {
  it('reports the pass count and meets the claim in CONFORMANCE.md', () => {
    const passed = outcomes.filter((outcome) => outcome.passed).length;
    const written = countAssertions(suite);
    const ran = (mode: Mode) => outcomes.filter((outcome) => outcome.key.startsWith(`${mode} `)).length;
    console.info(
      `sdk conformance: ${passed}/${outcomes.length} passed ` +
        `(${ran('written')} assertions with written tuples, ${ran('contextual')} with contextual tuples)`,
    );
    for (const outcome of outcomes.filter((entry) => !entry.passed)) {
      console.info(`  failed: ${outcome.key}: ${outcome.detail}`);
    }
    expect(ran('written')).toBe(written);
    expect(passed).toBeGreaterThanOrEqual(claimedPasses);
    // A known failure that now passes should leave the list (and CONFORMANCE.md): say so, loudly.
    for (const outcome of outcomes.filter((entry) => entry.passed && entry.key in knownFailures)) {
      console.info(`  now passing, remove from knownFailures: ${outcome.key}`);
    }
  });
});
