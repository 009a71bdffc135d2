/**
 * Document search that respects permissions (`@agentgate/fga`), on the dev server's seeded OpenFGA model: documents
 * live in folders, folder viewers see what the folders hold, a user blocked on a document does not see it.
 *
 * The app indexes a small in-memory corpus: the seeded handbook documents plus a finance folder that only the finance
 * team (nobody here) may read, and Bob's own notes — writing each new document's folder as a tuple, as an app that
 * indexes documents with their permissions does. Then Alice and Bob search the same query: each gets the top three
 * documents they may see, in rank order, refilled past the ones they may not.
 *
 * Called from main.ts: `await runDocumentSearch(server, console.log, { audit: gate.audit })`.
 */
import { type AgentSession, type AuditLog, type AuditSink, createSession } from '@agentgate/core';
import type { DevServer } from '@agentgate/dev-server';
import { createFgaAuthorizer, type FgaTuple } from '@agentgate/fga';

interface Document {
  id: string;
  title: string;
  folder: string;
  text: string;
}

const corpus: Document[] = [
  {
    id: 'acme-onboarding',
    folder: 'acme-handbook',
    title: 'Onboarding guide',
    text: 'first week plan policy tools',
  },
  {
    id: 'acme-expenses',
    folder: 'acme-policies',
    title: 'Expense policy',
    text: 'travel budget receipts policy',
  },
  { id: 'acme-roadmap', folder: 'acme-handbook', title: 'Roadmap 2027', text: 'plan budget launches' },
  { id: 'acme-payroll', folder: 'acme-finance', title: 'Q3 payroll', text: 'salaries budget plan' },
  { id: 'acme-budget', folder: 'acme-finance', title: 'Budget 2027', text: 'budget plan forecast budget' },
  { id: 'bob-notes', folder: 'bob-private', title: "Bob's meeting notes", text: 'plan budget follow-ups' },
  { id: 'globex-merger', folder: 'globex-plans', title: 'Globex merger', text: 'plan budget confidential' },
];

/** The tuples the app writes when it indexes the documents the seed does not know yet. */
const indexTuples: FgaTuple[] = [
  { user: 'group:acme-finance#member', relation: 'viewer', object: 'folder:acme-finance' },
  { user: 'folder:acme-finance', relation: 'parent', object: 'doc:acme-payroll' },
  { user: 'folder:acme-finance', relation: 'parent', object: 'doc:acme-budget' },
  { user: 'user:bob', relation: 'owner', object: 'folder:bob-private' },
  { user: 'folder:bob-private', relation: 'parent', object: 'doc:bob-notes' },
];

/** A toy ranker: how often the query's words occur in a document. */
function rank(query: string): Document[] {
  const words = query.toLowerCase().split(/\s+/);
  const score = (document: Document) =>
    words.reduce(
      (sum, word) => sum + `${document.title} ${document.text}`.toLowerCase().split(word).length - 1,
      0,
    );
  return corpus
    .map((document) => ({ document, score: score(document) }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || a.document.id.localeCompare(b.document.id))
    .map((entry) => entry.document);
}

export interface DocumentSearchOptions {
  /** Where the filter's counts go: pass `gate.audit` to put them into the gate's hash chain. */
  audit?: AuditLog | AuditSink | false;
  /** Verified sessions to search as; by default sessions built for the seeded users alice and bob. */
  sessions?: AgentSession[];
}

/** Runs the document search demo against a running dev server and reports through `log`. */
export async function runDocumentSearch(
  server: DevServer,
  log: (line: string) => void = console.log,
  options: DocumentSearchOptions = {},
): Promise<void> {
  const fga = createFgaAuthorizer({
    apiUrl: server.fga.apiUrl,
    storeId: server.fga.storeId,
    authorizationModelId: server.fga.authorizationModelId,
    listObjectsMaxResults: Number.POSITIVE_INFINITY, // fga-local's server does not cut lists short
    ...(options.audit === undefined || options.audit === false ? {} : { audit: options.audit }),
  });
  log('\n— document search: the app indexes its corpus with each document’s folder');
  await fga.writeTuples(indexTuples);

  const sessions = options.sessions ?? [
    createSession({ sub: 'alice', tenant: 'acme' }),
    createSession({ sub: 'bob', tenant: 'acme' }),
  ];
  const query = 'budget plan';
  const ranked = rank(query);
  log(
    `  query "${query}" ranks ${ranked.length} documents: ${ranked.map((document) => document.id).join(', ')}`,
  );
  for (const session of sessions) {
    // One turn per question: repeated authorization questions within it are answered once.
    const turn = fga.forTurn();
    const result = await turn.retrieveDocuments({
      session,
      relation: 'viewer',
      type: 'doc',
      object: (document: Document) => `doc:${document.id}`,
      k: 3,
      // The retriever: a vector store would apply `allowed.ids` as a metadata filter.
      fetch: ({ offset, limit, allowed }) =>
        ranked.filter((document) => !allowed || allowed.ids.has(document.id)).slice(offset, offset + limit),
      name: 'search_documents',
    });
    if (!result.success) {
      log(`  ✗ ${session.user.sub}: ${result.error.code} — ${result.error.message}`);
      continue;
    }
    const ways = result.stats.rounds
      .map((round) => `${round.strategy} (${round.fetched} fetched)`)
      .join(', ');
    log(
      `  ${session.user.sub.padEnd(6)} sees ${result.documents.map((document) => document.title).join(' · ')}`,
    );
    log(`         ${result.stats.removed} hidden; rounds: ${ways}`);
  }
}
