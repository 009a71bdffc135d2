#!/usr/bin/env node
// The `agentgate-dev` command: runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  console.error(
    'agentgate-dev: @agentgate/dev-server is not built (dist/cli.js is missing); ' +
      'run `pnpm --filter @agentgate/dev-server build` first',
  );
  process.exitCode = 1;
}
