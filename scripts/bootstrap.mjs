#!/usr/bin/env node
// Runs a workspace script with the toolchain AgentGate needs: Node >= 22 and the pinned pnpm.
//
//   node scripts/bootstrap.mjs <script> [args...]
//
// On a machine that already has Node 22+ and pnpm 10 nothing is downloaded. Otherwise the missing
// pieces come from the npm registry into ./.toolchain (the `node` package ships a real Node binary),
// and that folder is put first on PATH for pnpm and every script it runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolchain = join(root, '.toolchain');
const toolchainBin = join(toolchain, 'node_modules', '.bin');
const NODE_VERSION = '24.21.0';
const MIN_NODE_MAJOR = 22;
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/bootstrap.mjs <script> [args...]');
  process.exit(2);
}

const env = { ...process.env, PATH: `${toolchainBin}${delimiter}${process.env.PATH ?? ''}` };

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env, cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function versionOf(command) {
  const result = spawnSync(command, ['--version'], { env, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().replace(/^v/, '') : undefined;
}

const wanted = [];
const nodeVersion = versionOf('node');
if (!nodeVersion || Number(nodeVersion.split('.')[0]) < MIN_NODE_MAJOR) wanted.push(`node@${NODE_VERSION}`);
const currentPnpm = versionOf('pnpm');
if (!currentPnpm || currentPnpm.split('.')[0] !== pnpmVersion.split('.')[0])
  wanted.push(`pnpm@${pnpmVersion}`);

if (wanted.length > 0) {
  console.error(
    `[agentgate] fetching ${wanted.join(', ')} into .toolchain (Node ${nodeVersion ?? 'none'} found)`,
  );
  // The `node` package unpacks its binary in an install script: allow exactly that one, as npm's policy asks.
  mkdirSync(toolchain, { recursive: true });
  writeFileSync(
    join(toolchain, 'package.json'),
    `${JSON.stringify({ private: true, allowScripts: { node: true } }, null, 2)}\n`,
  );
  const status = run('npm', [
    'install',
    '--prefix',
    toolchain,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...wanted,
  ]);
  if (status !== 0) process.exit(status);
}

const lockfile = join(root, 'pnpm-lock.yaml');
const installMarker = join(root, 'node_modules', '.modules.yaml');
const needsInstall =
  !existsSync(installMarker) ||
  (existsSync(lockfile) && statSync(lockfile).mtimeMs > statSync(installMarker).mtimeMs) ||
  statSync(join(root, 'package.json')).mtimeMs > statSync(installMarker).mtimeMs;
if (needsInstall) {
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  const status = run('pnpm', ['install', ...frozen]);
  if (status !== 0) process.exit(status);
}

process.exit(run('pnpm', ['run', script, ...args]));
