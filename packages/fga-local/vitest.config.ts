import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { agentgateProject } from '../../vitest.shared.ts';

// OpenFGA's conformance suite lives in ../shared beside the checkout (it is not copied into the project). A checkout
// without it skips those two suites with a notice; CI always has it, and there a missing suite fails.
const suite = fileURLToPath(new URL('../../../shared/conformance/openfga', import.meta.url));
const conformanceSuites = ['test/engine-conformance.test.ts', 'test/sdk-conformance.test.ts'];
const skipConformance = !existsSync(suite) && !process.env.CI;
if (skipConformance) {
  console.warn(`[fga-local] OpenFGA conformance suites skipped: ${suite} is not there (CI runs them).`);
}

export default agentgateProject('fga-local', skipConformance ? { exclude: conformanceSuites } : {});
