/**
 * The demo's document corpus and how the app indexes it: each document goes into the vector store with its id and
 * folder, and its folder is written to OpenFGA as a tuple (the dev server's seed already holds the handbook and policy
 * folders; the finance folder, readable only by the finance group — nobody in this demo — and Bob's private folder are
 * new). The seeded model: folder viewers see what the folders hold, `blocked` users do not (Bob is blocked from the
 * roadmap).
 */
import type { FgaAuthorizer, FgaTuple } from '@agentgate/fga';
import { Document } from '@langchain/core/documents';
import type { VectorStore } from '@langchain/core/vectorstores';

interface CorpusEntry {
  id: string;
  folder: string;
  title: string;
  text: string;
}

const corpus: CorpusEntry[] = [
  {
    id: 'acme-onboarding',
    folder: 'acme-handbook',
    title: 'Onboarding guide',
    text: 'Your first week: accounts, laptop setup, the team plan and the tools we use.',
  },
  {
    id: 'acme-expenses',
    folder: 'acme-policies',
    title: 'Expense policy',
    text: 'Travel and meals: the budget per trip, receipts within 30 days, approval by your manager.',
  },
  {
    id: 'acme-roadmap',
    folder: 'acme-handbook',
    title: 'Roadmap 2027',
    text: 'The product plan for 2027: launches per quarter and the budget of each team.',
  },
  {
    id: 'acme-payroll',
    folder: 'acme-finance',
    title: 'Q3 payroll',
    text: 'Salaries paid in Q3 by team, against the payroll budget plan.',
  },
  {
    id: 'acme-budget',
    folder: 'acme-finance',
    title: 'Budget 2027',
    text: 'The company budget plan and forecast for 2027, by department.',
  },
  {
    id: 'bob-notes',
    folder: 'bob-private',
    title: "Bob's meeting notes",
    text: 'Follow-ups from the budget planning meeting: who owns which plan.',
  },
  {
    id: 'globex-merger',
    folder: 'globex-plans',
    title: 'Globex merger',
    text: 'Confidential plan and budget for the Globex merger.',
  },
];

/** The tuples the app writes for the folders and documents the dev server's seed does not know. */
const indexTuples: FgaTuple[] = [
  { user: 'group:acme-finance#member', relation: 'viewer', object: 'folder:acme-finance' },
  { user: 'folder:acme-finance', relation: 'parent', object: 'doc:acme-payroll' },
  { user: 'folder:acme-finance', relation: 'parent', object: 'doc:acme-budget' },
  { user: 'user:bob', relation: 'owner', object: 'folder:bob-private' },
  { user: 'folder:bob-private', relation: 'parent', object: 'doc:bob-notes' },
];

/** The FGA object of a retrieved document: `doc:<id>`. */
export const documentObject = (document: { metadata: Record<string, unknown> }): string =>
  `doc:${String(document.metadata['id'])}`;

/** Adds the corpus to the vector store and writes its permission tuples. Returns how many documents were indexed. */
export async function indexDocuments(store: VectorStore, fga: FgaAuthorizer): Promise<number> {
  await fga.writeTuples(indexTuples);
  await store.addDocuments(
    corpus.map(
      (entry) =>
        new Document({
          id: entry.id,
          pageContent: `${entry.title}. ${entry.text}`,
          metadata: { id: entry.id, title: entry.title, folder: entry.folder },
        }),
    ),
  );
  return corpus.length;
}
