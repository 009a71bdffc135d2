/**
 * `POST /api/chat`: the AI SDK's chat endpoint. The page sends its UI messages; the server checks them against the
 * tools, runs `streamText` with the gated tools and the signed-in user's session as the tools' context, and streams
 * UI message chunks back (tool calls, approval requests, results, text).
 */
import {
  convertToModelMessages,
  createUIMessageStreamResponse,
  isStepCount,
  type LanguageModel,
  streamText,
  toUIMessageStream,
  type UIMessage,
  validateUIMessages,
} from 'ai';
import type { Context } from 'hono';
import type { ChatAgent } from './agentgate';
import type { ChatSessions } from './sign-in';

const instructions = `You are the assistant of Acme's support team, acting for the signed-in user.
Use the tools to answer. A tool result of the form {"agentgate": {...}} is AgentGate's decision about the call:
explain it plainly (connect an account, wait for an approval, or that the action is not allowed) and do not retry
unless the user asks. When a tool execution is not approved, do not retry it.`;

export interface ChatRouteOptions {
  sessions: ChatSessions;
  agent: ChatAgent;
  model: LanguageModel;
  /** This app's origin: a chat request from any other origin is refused. */
  origin: string;
}

export function chatRoute({ sessions, agent, model, origin }: ChatRouteOptions) {
  return async (context: Context): Promise<Response> => {
    const user = sessions.userOf(context);
    if (user === undefined) return context.json({ error: 'Sign in first.' }, 401);
    if (context.req.header('origin') !== origin) return context.json({ error: 'Cross-origin request.' }, 403);

    let messages: UIMessage[];
    let modelMessages: Awaited<ReturnType<typeof convertToModelMessages>>;
    try {
      const body = (await context.req.json()) as { messages?: unknown };
      messages = await validateUIMessages({ messages: body.messages, tools: agent.tools });
      modelMessages = await convertToModelMessages(messages, { tools: agent.tools });
    } catch {
      return context.json({ error: 'The messages are not a valid conversation.' }, 400);
    }
    const result = streamText({
      model,
      instructions,
      messages: modelMessages,
      ...agent.forSession(user.session),
      stopWhen: isStepCount(4),
      abortSignal: context.req.raw.signal,
    });
    return createUIMessageStreamResponse({
      stream: toUIMessageStream({
        stream: result.stream,
        tools: agent.tools,
        originalMessages: messages,
        onError: () => 'The assistant ran into an error.',
      }),
    });
  };
}
