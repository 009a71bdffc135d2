import { agentgateProject } from '../../vitest.shared.ts';

export default agentgateProject('ai-sdk');
