import { agentgateProject } from '../vitest.shared.ts';

export default agentgateProject('integration', { include: ['**/*.test.ts'] });
