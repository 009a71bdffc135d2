#!/usr/bin/env node
// Builds every package and writes the tarballs another project can `npm install`:
//
//   npm run pack                        → dist-tarballs/agentgate-<name>-<version>.tgz
//   node scripts/pack.mjs --out <dir>   → the same, into <dir> (needs Node 22+ and pnpm on PATH)
//
// `pnpm pack` rewrites `workspace:*` ranges to the packages' versions, so the tarballs install with plain npm when
// they are installed together. Each tarball is then checked: no `workspace:` range left, and every file its
// package.json points at (exports, main, module, types, bin) is inside it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The export condition that points the workspace at TypeScript sources; it is not part of a tarball. */
const SOURCE_CONDITION = '@agentgate/source';

let values;
try {
  ({ values } = parseArgs({ options: { out: { type: 'string' } } }));
} catch (error) {
  console.error(`${error.message}\nusage: node scripts/pack.mjs [--out <dir>]`);
  process.exit(2);
}
const out = values.out === undefined ? join(root, 'dist-tarballs') : resolve(values.out);

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', cwd: root });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(
      `[pack] ${command} ${commandArgs.join(' ')} failed (exit ${result.status ?? result.signal})`,
    );
    process.exit(1);
  }
}

/** The entries of a .tgz: file path → contents (a tar is 512-byte headers, each followed by its file's blocks). */
function readTarball(file) {
  const tar = gunzipSync(readFileSync(file));
  const entries = new Map();
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start, length) => header.toString('utf8', start, start + length).split('\0')[0];
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    entries.set(name.replace(/^package\//, ''), tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Every file a package.json points at, except the workspace-only source condition. */
function referencedFiles(manifest) {
  const files = new Set();
  const collect = (value) => {
    if (typeof value === 'string') files.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') {
      for (const [key, entry] of Object.entries(value)) if (key !== SOURCE_CONDITION) collect(entry);
    }
  };
  collect(manifest.exports);
  for (const field of ['main', 'module', 'types']) collect(manifest[field]);
  collect(typeof manifest.bin === 'string' ? [manifest.bin] : manifest.bin);
  return [...files].filter((file) => !file.includes('*'));
}

function checkTarball(file) {
  const entries = readTarball(file);
  const manifestText = entries.get('package.json')?.toString('utf8');
  if (!manifestText) return ['no package.json'];
  const manifest = JSON.parse(manifestText);
  const problems = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${field}.${name} is still '${range}'`);
    }
  }
  for (const referenced of referencedFiles(manifest)) {
    if (!entries.has(referenced))
      problems.push(`package.json points at ${referenced}, which is not in the tarball`);
  }
  return problems;
}

mkdirSync(out, { recursive: true });
for (const name of readdirSync(out)) if (/^agentgate-.*\.tgz$/.test(name)) rmSync(join(out, name));

run('pnpm', ['run', 'build']); // ESM + CJS + .d.ts of every package, as `npm run check` builds them
run('pnpm', ['--recursive', '--filter', './packages/*', 'pack', '--pack-destination', out]);

const tarballs = readdirSync(out)
  .filter((name) => /^agentgate-.*\.tgz$/.test(name))
  .map((name) => join(out, name));
let failed = false;
for (const tarball of tarballs) {
  for (const problem of checkTarball(tarball)) {
    console.error(`[pack] ${relative(root, tarball)}: ${problem}`);
    failed = true;
  }
}
if (failed || tarballs.length === 0) {
  console.error(
    tarballs.length === 0 ? '[pack] no tarball was written' : '[pack] the tarballs above are broken',
  );
  process.exit(1);
}

console.log(`\n[pack] ${tarballs.length} tarballs in ${out}`);
console.log(
  '[pack] install them together (they depend on each other at these exact versions) in your project:\n',
);
console.log(`  npm install ${tarballs.join(' ')}\n`);
