import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.ts';

const base = packageBuild(['src/index.ts', 'src/cli.ts']);
if (typeof base === 'function' || Array.isArray(base)) {
  throw new TypeError('tsup.base.ts: packageBuild must return one options object');
}

// ESM only: oidc-provider is ESM-only, and a CommonJS bundle of it cannot construct the provider.
// CommonJS callers load this ESM build through Node's require(esm) (Node >= 22.12; no top-level await).
export default defineConfig({ ...base, format: ['esm'] });
