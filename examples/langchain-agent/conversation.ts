/**
 * One user's conversation with the agent on its own LangGraph thread: each message runs the agent loop; what the model
 * asked and what the gate decided (and why, from the audit record) goes to the transcript; when the gate pauses a call
 * (LangGraph `interrupt`), the demo does what the user would — completes the connect flow, approves on the phone, or
 * waits for a person in the inbox — and resumes the same thread with `Command({ resume })`, so the call runs through
 * the gate again.
 */
import type { AgentSession, AuditEvent } from '@agentgate/core';
import { readAgentGateToolMessage, sessionConfig } from '@agentgate/langchain';
import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { Command } from '@langchain/langgraph';
import type { AuditCursor } from './audit-trail';
import type { DemoWorld } from './setup';
import type { Transcript } from './transcript';

/** What the demo needs of a `createAgent` agent. */
export interface DemoAgent {
  invoke(
    input: unknown,
    config: { configurable: Record<string, unknown> },
  ): Promise<{ messages: BaseMessage[]; __interrupt__?: { id?: string; value?: unknown }[] }>;
}

/** Decides a pending CIBA approval in the user's place, or waits for the person to; resolves when decided. */
export type ApprovalDecider = (request: {
  sub: string;
  approvalId: string;
  bindingMessage: string;
}) => Promise<void>;

export interface ConversationOptions {
  agent: DemoAgent;
  world: DemoWorld;
  transcript: Transcript;
  /** The seeded user name (`alice@acme`) the session was signed in as: the connect flow signs in as them. */
  username: string;
  session: AgentSession;
  decideApproval: ApprovalDecider;
  /** Where the "why" of each allowed call is read from: the gate's audit file. */
  audit: AuditCursor;
}

/** A conversation: `say(text)` runs one turn to its end (through any pauses the demo resolves). */
export interface Conversation {
  say(text: string): Promise<void>;
}

const MAX_RESUMES_PER_TURN = 4;

export function startConversation(options: ConversationOptions): Conversation {
  const { agent, transcript, session } = options;
  const name = session.user.sub;
  const base = sessionConfig(session);
  const config = { ...base, configurable: { ...base.configurable, thread_id: `demo-${name}-${session.id}` } };
  let renderedMessages = 0;
  let pendingTool = 'tool';

  const render = async (messages: readonly BaseMessage[]) => {
    const fresh = messages.slice(renderedMessages);
    renderedMessages = messages.length;
    const events = await options.audit.next();
    for (const message of fresh) {
      if (AIMessage.isInstance(message) && message.tool_calls?.length) {
        for (const call of message.tool_calls) transcript.toolCall(call.name, call.args);
        pendingTool = message.tool_calls.at(-1)!.name;
      } else if (ToolMessage.isInstance(message)) {
        renderToolResult(transcript, message, events);
      } else if (AIMessage.isInstance(message) && message.text) {
        transcript.reply(message.text);
      }
    }
  };

  return {
    async say(text) {
      transcript.user(name, text);
      let input: unknown = { messages: [{ role: 'user', content: text }] };
      for (let resumes = 0; ; resumes += 1) {
        const state = await agent.invoke(input, config);
        await render(state.messages);
        const pauses = state.__interrupt__ ?? [];
        if (pauses.length === 0) return;
        // One pause per paused tool call (a model may call tools in parallel); each resumes with its own answer.
        const answers: Record<string, unknown> = {};
        for (const pause of pauses) {
          const answer = await resolvePause(options, pendingTool, pause.value);
          if (answer === undefined) return;
          answers[pause.id ?? ''] = answer;
        }
        const resume = pauses.length === 1 ? Object.values(answers)[0] : answers;
        if (resumes === MAX_RESUMES_PER_TURN) {
          transcript.detail(`still paused after ${resumes + 1} resumes: the demo leaves this turn`);
          return;
        }
        input = new Command({ resume });
      }
    },
  };
}

/** Shows why the gate paused a call, does what the user would, and returns the resume value (or none: stop here). */
async function resolvePause(
  options: ConversationOptions,
  tool: string,
  value: unknown,
): Promise<unknown | undefined> {
  const { transcript, world, session } = options;
  const pause = readAgentGateToolMessage(value);
  if (!pause) {
    transcript.paused(tool, 'INTERRUPT', JSON.stringify(value));
    return undefined;
  }
  switch (pause.code) {
    case 'CONNECTION_REQUIRED': {
      const { connection, requiredScopes, connectUrl } = pause.details;
      transcript.paused(
        tool,
        pause.code,
        `connect ${connection} (${requiredScopes.join(' ')}): ${connectUrl}`,
      );
      await world.server.connections.connect(options.username, connection, { scopes: requiredScopes });
      transcript.acts(
        session.user.sub,
        `opens the link, signs in and connects ${connection}; the run resumes`,
      );
      return { retry: true };
    }
    case 'APPROVAL_PENDING': {
      const approvalId = String(pause.details.approvalId);
      const bindingMessage = String(pause.details['bindingMessage']);
      transcript.paused(tool, pause.code, `“${bindingMessage}” waits for ${session.user.sub}'s approval`);
      await options.decideApproval({ sub: session.user.sub, approvalId, bindingMessage });
      await world.approvals.resume(); // settles the record now; a worker (approvals.startWorker) does it in the background
      transcript.acts('agent', 'the decision is in; the run resumes');
      return { retry: true };
    }
    default:
      transcript.paused(tool, pause.code, pause.message);
      return undefined;
  }
}

function renderToolResult(transcript: Transcript, message: ToolMessage, events: readonly AuditEvent[]): void {
  const tool = message.name ?? 'tool';
  const gate = readAgentGateToolMessage(message);
  if (gate?.kind === 'denied') {
    transcript.denied(tool, gate.code, gate.guard ? `${gate.message} (${gate.guard})` : gate.message);
    return;
  }
  if (gate) {
    // An interrupt left as the tool's result ended the call (an approval denied or expired): the model is told.
    transcript.denied(tool, gate.code, gate.message, 'stopped');
    return;
  }
  transcript.allowed(tool, why(tool, events));
  // What the retrieval inside the call let through: counts only, as the audit record keeps them.
  for (const event of events.filter((candidate) => candidate.phase === 'filter')) {
    transcript.line(`⤷ ${event.tool} ${event.guard ?? ''}: ${event.reason ?? event.outcome}`);
  }
  transcript.line(`→ ${message.text.length > 160 ? `${message.text.slice(0, 157)}…` : message.text}`);
}

/** The guards that allowed the last executed call of `tool`, from the audit record. */
function why(tool: string, events: readonly AuditEvent[]): string {
  const executed = events.findLast((event) => event.tool === tool && event.phase === 'execute');
  if (!executed) return '';
  return events
    .filter(
      (event) => event.callId === executed.callId && event.phase === 'guard' && event.outcome === 'allow',
    )
    .map((event) => `${event.guard} ✓`)
    .join(' · ');
}
