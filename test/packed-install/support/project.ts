/**
 * What both packed-install suites share: running a command in a temporary project and reading the workspace's
 * manifests (the versions a project outside the workspace installs).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The workspace root. */
export const root = fileURLToPath(new URL('../../..', import.meta.url));
/** The scripts and TypeScript the temporary projects run. */
export const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The environment minus the `npm_*` variables pnpm and npm set for scripts: npm would read them as its config. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to the end; a failure is returned (with its output), not thrown, so assertions can show it. */
export async function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd,
      env: cleanEnv(),
      timeout: timeoutMs,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as {
      code?: unknown;
      signal?: string;
      stdout?: string;
      stderr?: string;
      message: string;
    };
    const killed = failure.signal ? `\n(killed by ${failure.signal}; the limit is ${timeoutMs} ms)` : '';
    return {
      code: typeof failure.code === 'number' ? failure.code : 1,
      stdout: failure.stdout ?? '',
      stderr: (failure.stderr || failure.message) + killed,
    };
  }
}

export function expectSuccess(outcome: Outcome, what: string): void {
  if (outcome.code !== 0) {
    throw new Error(
      `${what} failed (exit ${outcome.code})\n--- stdout\n${outcome.stdout}\n--- stderr\n${outcome.stderr}`,
    );
  }
}

/**
 * `npm install` of tarballs and registry packages, as a user runs it (npm's cache first, no audit, no fund).
 *
 * The AgentGate tarballs go into the project's manifest as `file:` dependencies with an `overrides` entry each
 * (`"$@agentgate/core"`: "use my dependency's spec"), so the tarballs' own `@agentgate/*` dependencies (`0.1.0`)
 * resolve to the same files. Without the overrides npm first asks the registry for every `@agentgate/*` package a
 * tarball depends on — packages that are not published yet — and waits out its retries for each.
 */
export async function npmInstall(project: string, specs: string[]): Promise<Outcome> {
  const manifestPath = join(project, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    dependencies?: Record<string, string>;
    overrides?: Record<string, string>;
  };
  const registrySpecs: string[] = [];
  for (const spec of specs) {
    const tarball = /agentgate-([a-z-]+?)-\d+\.\d+\.\d+[^/]*\.tgz$/.exec(spec);
    if (!tarball) {
      registrySpecs.push(spec);
      continue;
    }
    const name = `@agentgate/${tarball[1]}`;
    manifest.dependencies = { ...manifest.dependencies, [name]: `file:${spec}` };
    manifest.overrides = { ...manifest.overrides, [name]: `$${name}` };
  }
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...registrySpecs],
    project,
    300_000,
  );
}

/** A workspace manifest: `packages/<name>/package.json`, or the root's for `'.'`. */
export interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export async function readManifest(packageDir: string): Promise<Manifest> {
  const path = packageDir === '.' ? 'package.json' : join('packages', packageDir, 'package.json');
  return JSON.parse(await readFile(join(root, path), 'utf8')) as Manifest;
}

/** `<name>@<range>` with the range a workspace manifest gives the dependency (any of its dependency fields). */
export function specFrom(manifest: Manifest, name: string): string {
  const range =
    manifest.devDependencies?.[name] ?? manifest.peerDependencies?.[name] ?? manifest.dependencies?.[name];
  if (range === undefined) throw new Error(`${manifest.name} names no version of ${name}`);
  return `${name}@${range}`;
}

/**
 * The AgentGate packages one package needs installed next to it (its `@agentgate/*` dependencies and peers, and
 * theirs), itself included, as package directory names.
 */
export async function agentGateClosure(packageDir: string): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = await readManifest(dir);
    const needed = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const name of Object.keys(needed)) {
      if (name.startsWith('@agentgate/')) await visit(name.slice('@agentgate/'.length));
    }
  };
  await visit(packageDir);
  return [...seen].sort();
}

/** The tarball of each named package (directory names under `packages/`), in that order. */
export async function tarballsOf(tarballs: string, packageDirs: readonly string[]): Promise<string[]> {
  const files = await readdir(tarballs);
  return packageDirs.map((dir) => {
    const file = files.find((name) => new RegExp(`^agentgate-${dir}-\\d.*\\.tgz$`).test(name));
    if (!file) throw new Error(`no tarball for @agentgate/${dir} in ${tarballs}`);
    return join(tarballs, file);
  });
}
