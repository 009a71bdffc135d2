/**
 * The demo's story, as a function the test can call: start the dev server, index the documents, build the agent, let
 * alice and then bob talk to it, and finish with the audit trail and its verified hash chain.
 */
import type { AgentSession } from '@agentgate/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { approveOnPhone, waitForPerson } from './approvers';
import { createAuditCursor, printAuditTrail } from './audit-trail';
import { startConversation } from './conversation';
import { indexDocuments } from './documents';
import { HashingEmbeddings } from './embedder';
import { ScriptedChatModel } from './scripted-model';
import { startDemoWorld } from './setup';
import { createDemoTools } from './tools';
import { createTranscript, type DemoOutput, type Transcript } from './transcript';
import { InMemoryVectorStore } from './vector-store';

export interface RunDemoOptions {
  /** Where the transcript goes (`process.stdout`); coloured only when it is a terminal. */
  output: DemoOutput;
  /** Wait for a person to decide the refund in the inbox page. Default false: the scripted phone approves. */
  interactive?: boolean;
  /** The agent's chat model. Default the offline {@link ScriptedChatModel}. */
  model?: BaseChatModel;
  /** How the transcript names the model. */
  modelLabel?: string;
  /** Colour the transcript; default: when `output` is a terminal and `NO_COLOR` is unset. */
  colour?: boolean;
  /** Keep the audit file after the run (its path is printed). Default false. */
  keepAuditFile?: boolean;
}

export interface DemoResult {
  /** How many times the refund tool actually ran (one approval, used once: 1). */
  refundsExecuted: number;
  auditEvents: number;
  /** Whether the audit file's hash chain verified. */
  chainIntact: boolean;
  /** Whether anything like a JWT was found in the audit file (it must not be). */
  tokensInAudit: boolean;
}

const SYSTEM_PROMPT = `You are Acme's support agent. Use the tools to act for the signed-in user: list_events for their
calendar, search_docs for company documents, refund_order for refunds (amount and ISO currency). Call a tool for every
request, even one you think may be refused; report what the tool answered, including refusals, in one or two sentences.`;

const REFUND_REQUEST = 'Refund order 1042: 240 EUR, the customer was charged twice.';
const DOCS_REQUEST = 'Search the docs for the budget plan for 2027.';

export async function runDemo(options: RunDemoOptions): Promise<DemoResult> {
  const transcript = createTranscript(
    options.output,
    options.colour === undefined ? {} : { colour: options.colour },
  );
  const world = await startDemoWorld({ keepAuditFile: options.keepAuditFile ?? false });
  try {
    transcript.heading('AgentGate × LangChain: a support agent on the embedded dev server');
    transcript.detail(`dev server ${world.server.issuer} · OpenFGA API ${world.server.fga.apiUrl}`);
    transcript.detail(`model ${options.modelLabel ?? 'scripted (offline, deterministic)'}`);
    transcript.detail(`audit file ${world.auditFile}`);

    const store = new InMemoryVectorStore(new HashingEmbeddings());
    const indexed = await indexDocuments(store, world.fga);
    transcript.detail(`${indexed} documents in the vector store; their folders written to OpenFGA`);
    const tools = createDemoTools(world, store.asRetriever());
    const agent = createAgent({
      model: options.model ?? new ScriptedChatModel(),
      tools: tools.tools,
      checkpointer: new MemorySaver(), // interrupts pause a thread; Command({ resume }) continues it
      systemPrompt: SYSTEM_PROMPT,
    });
    const audit = createAuditCursor(world.auditFile);
    await audit.next(); // the indexing is not a turn
    const decideApproval = options.interactive
      ? waitForPerson(world, transcript)
      : approveOnPhone(world, transcript);
    const converse = (username: string, session: AgentSession) =>
      startConversation({ agent, world, transcript, username, session, decideApproval, audit });

    transcript.heading('alice signs in through the real login page (authorization code + PKCE)');
    const alice = await world.signIn('alice@acme');
    describeSession(transcript, alice);
    const withAlice = converse('alice@acme', alice);
    await withAlice.say("What's on my calendar?");
    await withAlice.say(DOCS_REQUEST);
    await withAlice.say(REFUND_REQUEST);
    transcript.heading('the same refund again: an approval is used once');
    await withAlice.say('Please refund order 1042 again.');

    transcript.heading('bob signs in: same tenant, a member without the support role');
    const bob = await world.signIn('bob@acme');
    describeSession(transcript, bob);
    const withBob = converse('bob@acme', bob);
    await withBob.say(DOCS_REQUEST);
    await withBob.say(REFUND_REQUEST);

    transcript.heading('the audit trail, read back from the file');
    const trail = await printAuditTrail(transcript, world.auditFile);
    transcript.line(`refunds executed: ${tools.refundsExecuted()}`);
    return {
      refundsExecuted: tools.refundsExecuted(),
      auditEvents: trail.events,
      chainIntact: trail.chainIntact,
      tokensInAudit: trail.tokensFound,
    };
  } finally {
    await world.close();
  }
}

function describeSession(transcript: Transcript, session: AgentSession): void {
  transcript.detail(
    `session ${session.user.sub} · tenant ${session.tenant ?? '-'} · roles ${session.roles.join(' ') || '-'} · acr ${session.acr ?? '-'}`,
  );
  transcript.detail(`scopes ${session.scopes.join(' ')}`);
}
