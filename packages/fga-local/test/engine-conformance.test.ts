import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalFga, FgaError, type LocalFga } from '../src/index';
import {
  type CheckAssertion,
  type ConformanceStage,
  type ConformanceTuple,
  countAssertions,
  type ListObjectsAssertion,
  type ListUsersAssertion,
  loadConformanceSuite,
} from './conformance/load';

/**
 * Runs OpenFGA's conformance suite (schema 1.1 + ABAC) directly against the engine. Like OpenFGA's own
 * harness it runs every test with the tuples written, and every single-stage test again with the tuples
 * sent as contextual tuples. Assertions listed as known failures in CONFORMANCE.md are expected to fail.
 */
const suite = loadConformanceSuite();
const total = countAssertions(suite);
const here = path.dirname(fileURLToPath(import.meta.url));
const conformanceDoc = readFileSync(path.join(here, '..', 'CONFORMANCE.md'), 'utf8');
/** The engine section of CONFORMANCE.md: the claimed pass count and the known failures, one per line. */
const engineSection = conformanceDoc.slice(
  conformanceDoc.indexOf('## Engine'),
  conformanceDoc.indexOf('## Server') > 0 ? conformanceDoc.indexOf('## Server') : undefined,
);
const claimed = Number(/engine: (\d+)\/1216 assertions pass/.exec(engineSection)?.[1] ?? Number.NaN);
const knownFailureList = engineSection.slice(engineSection.indexOf('### Known failures'));
const knownFailures = new Set(
  [...knownFailureList.matchAll(/^- `([^`:]+)(?::[^`]*)?`/gm)].map((match) => match[1] as string),
);

let passed = 0;
let contextualPassed = 0;
let contextualTotal = 0;

type Mode = 'written' | 'contextual';

function asContextual(tuples: ConformanceTuple[], mode: Mode, stage: ConformanceStage): ConformanceTuple[] {
  return mode === 'contextual' ? [...tuples, ...stage.tuples] : tuples;
}

function userString(user: Record<string, unknown>): string {
  if ('object' in user) {
    const object = user.object as { type: string; id: string };
    return `${object.type}:${object.id}`;
  }
  if ('userset' in user) {
    const userset = user.userset as { type: string; id: string; relation: string };
    return `${userset.type}:${userset.id}#${userset.relation}`;
  }
  return `${(user.wildcard as { type: string }).type}:*`;
}

function expectError(run: () => unknown, errorCode: number): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(
    FgaError.isInstance(thrown),
    `expected error ${errorCode}, got ${JSON.stringify(thrown ?? 'success')}`,
  ).toBe(true);
  expect((thrown as FgaError).numericCode).toBe(errorCode);
}

function runCheck(
  fga: LocalFga,
  storeId: string,
  modelId: string,
  stage: ConformanceStage,
  assertion: CheckAssertion,
  mode: Mode,
) {
  const run = () =>
    fga.check(storeId, {
      authorization_model_id: modelId,
      tuple_key: assertion.tuple,
      contextual_tuples: asContextual(assertion.contextualTuples, mode, stage),
      context: assertion.context,
    }).allowed;
  if (assertion.errorCode) expectError(run, assertion.errorCode);
  else expect(run()).toBe(assertion.expectation);
}

function runListObjects(
  fga: LocalFga,
  storeId: string,
  modelId: string,
  stage: ConformanceStage,
  assertion: ListObjectsAssertion,
  mode: Mode,
) {
  const run = () =>
    fga.listObjects(storeId, {
      authorization_model_id: modelId,
      ...assertion.request,
      contextual_tuples: asContextual(assertion.contextualTuples, mode, stage),
      context: assertion.context,
    }).objects;
  if (assertion.errorCode) expectError(run, assertion.errorCode);
  else expect([...run()].sort()).toEqual([...assertion.expectation].sort());
}

function runListUsers(
  fga: LocalFga,
  storeId: string,
  modelId: string,
  stage: ConformanceStage,
  assertion: ListUsersAssertion,
  mode: Mode,
) {
  const [type = '', id = ''] = assertion.request.object.split(':');
  const run = () =>
    fga
      .listUsers(storeId, {
        authorization_model_id: modelId,
        object: { type, id },
        relation: assertion.request.relation,
        user_filters: assertion.request.filters.map((filter) => {
          const [filterType = '', relation] = filter.split('#');
          return relation ? { type: filterType, relation } : { type: filterType };
        }),
        contextual_tuples: asContextual(assertion.contextualTuples, mode, stage),
        context: assertion.context,
      })
      .users.map((user) => userString(user as Record<string, unknown>));
  if (assertion.errorCode) expectError(run, assertion.errorCode);
  else expect([...run()].sort()).toEqual([...assertion.expectation].sort());
}

for (const mode of ['written', 'contextual'] as const) {
  describe(`OpenFGA conformance (${mode} tuples)`, () => {
    for (const test of suite) {
      if (mode === 'contextual' && test.stages.length !== 1) continue;
      describe(`${test.file.replace('.yaml', '')}/${test.name}`, () => {
        const fga = createLocalFga();
        const { id: storeId } = fga.createStore({ name: test.name });
        // Stages build on each other (the store keeps its tuples), so stage n sets up stages 0..n in order.
        const modelIds: string[] = [];
        const setUpUntil = (stageIndex: number): string => {
          while (modelIds.length <= stageIndex) {
            const stage = test.stages[modelIds.length] as ConformanceStage;
            const modelId = fga.writeAuthorizationModelFromDsl(storeId, stage.model).authorization_model_id;
            if (mode === 'written') {
              for (let offset = 0; offset < stage.tuples.length; offset += 100) {
                fga.write(storeId, {
                  writes: stage.tuples.slice(offset, offset + 100),
                  authorization_model_id: modelId,
                });
              }
            }
            modelIds.push(modelId);
          }
          return modelIds[stageIndex] as string;
        };
        test.stages.forEach((stage, stageIndex) => {
          // OpenFGA's harness skips the contextual run of stages above the 100 contextual tuples limit.
          if (mode === 'contextual' && stage.tuples.length > 100) return;
          const setUp = () => setUpUntil(stageIndex);
          const assertions: [string, () => void][] = [
            ...stage.checkAssertions.map((assertion, index): [string, () => void] => [
              `check ${index}: ${assertion.tuple.user} ${assertion.tuple.relation} ${assertion.tuple.object}`,
              () => runCheck(fga, storeId, setUp(), stage, assertion, mode),
            ]),
            ...stage.listObjectsAssertions.map((assertion, index): [string, () => void] => [
              `listObjects ${index}: ${assertion.request.user} ${assertion.request.relation} ${assertion.request.type}`,
              () => runListObjects(fga, storeId, setUp(), stage, assertion, mode),
            ]),
            ...stage.listUsersAssertions.map((assertion, index): [string, () => void] => [
              `listUsers ${index}: ${assertion.request.filters.join(',')} ${assertion.request.relation} ${assertion.request.object}`,
              () => runListUsers(fga, storeId, setUp(), stage, assertion, mode),
            ]),
          ];
          for (const [label, run] of assertions) {
            const name = `${test.name} stage ${stageIndex} ${label.slice(0, label.indexOf(':'))}`;
            const known = mode === 'written' && knownFailures.has(name);
            const body = () => {
              if (mode === 'contextual') contextualTotal++;
              run();
              if (mode === 'written') passed++;
              else contextualPassed++;
            };
            if (known) it.fails(`${stageIndex} ${label}`, body);
            else it(`${stageIndex} ${label}`, body);
          }
        });
      });
    }
  });
}

describe('OpenFGA conformance totals', () => {
  afterAll(() => {
    console.log(
      `conformance: ${passed}/${total} passed (contextual-tuple run: ${contextualPassed}/${contextualTotal})`,
    );
  });
  it(`passes at least the number of assertions CONFORMANCE.md claims`, () => {
    expect(total).toBe(1216);
    expect(passed).toBeGreaterThanOrEqual(claimed);
  });
});
