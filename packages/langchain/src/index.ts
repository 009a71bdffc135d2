// The adapter and its tools

// Retrieval
export type { FgaRetrieverOptions, RetrieverLike } from './fga-retriever';
export { FgaRetriever } from './fga-retriever';
// createAgent middleware
export type { AgentGateMiddlewareOptions, AuthorizedToolsOption, ToolPolicy } from './middleware';
export { agentGateMiddleware } from './middleware';
// The session of a run
export type { RunLike, SessionConfig } from './session';
export { SESSION_KEY, sessionConfig, sessionOfRun } from './session';
// Denials and interrupts as tool messages
export type { AgentGateToolContent } from './tool-message';
export { isAgentGateToolMessage, readAgentGateToolMessage } from './tool-message';
export type { InterruptMode, LangChainAuthOptions } from './types';
export type {
  AnyStructuredTool,
  AuthorizedTool,
  LangChainAuth,
  WithAuth,
  WithAuthOptions,
} from './with-auth';
export { createLangChainAuth } from './with-auth';
