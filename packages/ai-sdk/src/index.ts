// biome-ignore-all assist/source/organizeImports: the exports are grouped by concept, as the house style asks

// Gated tools and the chat approval
export type { ChatApprovalOptions } from './chat-approval';
export type { AiSdkAuth, AiSdkAuthOptions } from './create-ai-sdk-auth';
export { createAiSdkAuth } from './create-ai-sdk-auth';
export type { AuthorizedTool, WithAuthOptions } from './with-auth';

// The session of a call
export type { SessionContext, SessionToolsContext } from './session-context';
export { SESSION_CONTEXT_KEY, sessionContext, sessionToolsContext } from './session-context';

// The AI SDK's tool approval, and tool trimming
export type { ActiveToolsForOptions } from './active-tools';
export { activeToolsFor } from './active-tools';
export type { AgentGateToolApproval, AgentGateToolApprovalOptions } from './tool-approval';
export { agentGateToolApproval } from './tool-approval';
export type { ChatDenialsInput } from './record-chat-denials';
export { recordChatDenials } from './record-chat-denials';

// Results the UI and the model see (also in '@agentgate/ai-sdk/client')
export type { AgentGateToolResult } from './client';
export { isAgentGateInterrupt, isAgentGateResult } from './client';
export { toAgentGateResult } from './tool-result';
