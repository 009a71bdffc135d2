import { packageBuild } from '../../tsup.base.ts';

// `src/browser-errors.ts` is the browser-safe `@agentgate/core/errors` (dist/browser-errors.*).
export default packageBuild(['src/index.ts', 'src/browser-errors.ts']);
