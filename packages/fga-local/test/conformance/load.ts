/**
 * Loads OpenFGA's conformance suite (schema 1.1 and ABAC tests) from `../shared/conformance/openfga`
 * relative to the repository root, as typed test cases. Shared by the engine and the HTTP server suites.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface ConformanceTuple {
  user: string;
  relation: string;
  object: string;
  condition?: { name: string; context?: Record<string, unknown> };
}

export interface CheckAssertion {
  tuple: { user: string; relation: string; object: string };
  contextualTuples: ConformanceTuple[];
  context?: Record<string, unknown>;
  /** Expected `allowed` when `errorCode` is absent. */
  expectation: boolean;
  /** OpenFGA's numeric error code (2000, 2002, 2021, 2022, 2027 …) when the request must fail. */
  errorCode?: number;
}

export interface ListObjectsAssertion {
  request: { user: string; type: string; relation: string };
  contextualTuples: ConformanceTuple[];
  context?: Record<string, unknown>;
  /** Expected objects (`type:id`), order-insensitive. */
  expectation: string[];
  errorCode?: number;
}

export interface ListUsersAssertion {
  /** `filters` entries are `type` or `type#relation`; `object` is `type:id`. */
  request: { filters: string[]; object: string; relation: string };
  contextualTuples: ConformanceTuple[];
  context?: Record<string, unknown>;
  /** Expected users as strings: `user:anne`, `user:*`, `group:eng#member`; order-insensitive. */
  expectation: string[];
  errorCode?: number;
}

export interface ConformanceStage {
  /** The model in OpenFGA DSL. */
  model: string;
  tuples: ConformanceTuple[];
  checkAssertions: CheckAssertion[];
  listObjectsAssertions: ListObjectsAssertion[];
  listUsersAssertions: ListUsersAssertion[];
}

export interface ConformanceTest {
  name: string;
  /** The YAML file the test comes from, e.g. `consolidated_1_1_tests.yaml`. */
  file: string;
  stages: ConformanceStage[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (`/work/main` in the AgentGate workspace). */
export const repoRoot = path.resolve(here, '..', '..', '..', '..');
/** Where the suite's YAML files live. */
export const conformanceDir = path.resolve(repoRoot, '..', 'shared', 'conformance', 'openfga');
export const conformanceFiles = ['consolidated_1_1_tests.yaml', 'abac_tests.yaml'] as const;

type Raw = Record<string, unknown>;

function asArray(value: unknown): Raw[] {
  return Array.isArray(value) ? (value as Raw[]) : [];
}

function tuples(value: unknown): ConformanceTuple[] {
  return asArray(value).map((raw) => {
    const tuple: ConformanceTuple = {
      user: String(raw.user),
      relation: String(raw.relation),
      object: String(raw.object),
    };
    const condition = raw.condition as Raw | undefined;
    if (condition) {
      tuple.condition = { name: String(condition.name) };
      if (condition.context) tuple.condition.context = condition.context as Record<string, unknown>;
    }
    return tuple;
  });
}

function errorCode(raw: Raw): number | undefined {
  return typeof raw.errorCode === 'number' ? raw.errorCode : undefined;
}

function context(raw: Raw): Record<string, unknown> | undefined {
  return raw.context ? (raw.context as Record<string, unknown>) : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function stage(raw: Raw): ConformanceStage {
  return {
    model: String(raw.model),
    tuples: tuples(raw.tuples),
    checkAssertions: asArray(raw.checkAssertions).map((assertion) => {
      const tuple = assertion.tuple as Raw;
      return {
        tuple: { user: String(tuple.user), relation: String(tuple.relation), object: String(tuple.object) },
        contextualTuples: tuples(assertion.contextualTuples),
        context: context(assertion),
        expectation: assertion.expectation === true,
        errorCode: errorCode(assertion),
      };
    }),
    listObjectsAssertions: asArray(raw.listObjectsAssertions).map((assertion) => {
      const request = assertion.request as Raw;
      return {
        request: {
          user: String(request.user),
          type: String(request.type),
          relation: String(request.relation),
        },
        contextualTuples: tuples(request.contextualTuples ?? assertion.contextualTuples),
        context: context(request) ?? context(assertion),
        expectation: strings(assertion.expectation),
        errorCode: errorCode(assertion),
      };
    }),
    listUsersAssertions: asArray(raw.listUsersAssertions).map((assertion) => {
      const request = assertion.request as Raw;
      return {
        request: {
          filters: strings(request.filters),
          object: String(request.object),
          relation: String(request.relation),
        },
        contextualTuples: tuples(request.contextualTuples ?? assertion.contextualTuples),
        context: context(request) ?? context(assertion),
        expectation: strings(assertion.expectation),
        errorCode: errorCode(assertion),
      };
    }),
  };
}

/** Reads and parses one YAML file of the suite. */
export function loadConformanceFile(file: (typeof conformanceFiles)[number]): ConformanceTest[] {
  const document = parse(readFileSync(path.join(conformanceDir, file), 'utf8')) as { tests: Raw[] };
  return document.tests.map((test) => ({
    name: String(test.name),
    file,
    stages: asArray(test.stages).map(stage),
  }));
}

/** All tests of the suite, schema 1.1 first, then ABAC. */
export function loadConformanceSuite(): ConformanceTest[] {
  return conformanceFiles.flatMap((file) => loadConformanceFile(file));
}

/** Number of check + list-objects + list-users assertions in the given tests. */
export function countAssertions(tests: ConformanceTest[]): number {
  let count = 0;
  for (const test of tests) {
    for (const stage of test.stages) {
      count +=
        stage.checkAssertions.length + stage.listObjectsAssertions.length + stage.listUsersAssertions.length;
    }
  }
  return count;
}
