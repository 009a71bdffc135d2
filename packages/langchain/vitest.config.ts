import { agentgateProject } from '../../vitest.shared.ts';

export default agentgateProject('langchain');
