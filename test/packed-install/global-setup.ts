/**
 * Packs every package once for all packed-install suites: `scripts/pack.mjs` builds each package and writes its
 * tarball into a folder under the OS temp folder; the suites install from there (`inject('tarballs')`).
 *
 * `AGENTGATE_PACKED_TARBALLS=<dir>` uses tarballs packed earlier (`node scripts/pack.mjs --out <dir>`) instead, for
 * quicker iterations on the fixtures; CI leaves it unset.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { expectSuccess, root, run } from './support/project';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder holding one `agentgate-<name>-<version>.tgz` per package. */
    tarballs: string;
  }
}

export default async function packOnce(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.AGENTGATE_PACKED_TARBALLS;
  if (given) {
    const tarballs = resolve(given);
    if (!(await readdir(tarballs)).some((name) => /^agentgate-.*\.tgz$/.test(name))) {
      throw new Error(`AGENTGATE_PACKED_TARBALLS=${given} holds no agentgate-*.tgz`);
    }
    project.provide('tarballs', tarballs);
    return async () => {};
  }
  const folder = await mkdtemp(join(tmpdir(), 'agentgate-tarballs-'));
  const tarballs = join(folder, 'tarballs');
  // Building every package's ESM, CJS and .d.ts takes a minute on an idle machine, several on a busy one.
  expectSuccess(
    await run(process.execPath, [join(root, 'scripts/pack.mjs'), '--out', tarballs], root, 900_000),
    'node scripts/pack.mjs',
  );
  project.provide('tarballs', tarballs);
  return async () => rm(folder, { recursive: true, force: true });
}
