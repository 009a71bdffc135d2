/**
 * The team documents `search_docs` searches: a small in-memory corpus ranked by a toy word count, and the OpenFGA
 * tuples the app writes when it indexes the documents the dev server's seed does not know yet. Which documents a user
 * sees is decided by OpenFGA (`@agentgate/fga`), never by the ranker.
 */
import type { FgaTuple } from '@agentgate/fga';

export interface TeamDocument {
  id: string;
  title: string;
  folder: string;
  text: string;
}

export const corpus: readonly TeamDocument[] = [
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
  { id: 'globex-merger', folder: 'globex-plans', title: 'Globex merger', text: 'plan budget confidential' },
];

/** The finance folder: only the finance team (nobody seeded) may read it. */
export const indexTuples: FgaTuple[] = [
  { user: 'group:acme-finance#member', relation: 'viewer', object: 'folder:acme-finance' },
  { user: 'folder:acme-finance', relation: 'parent', object: 'doc:acme-payroll' },
  { user: 'folder:acme-finance', relation: 'parent', object: 'doc:acme-budget' },
];

/** Ranks the corpus by how often the query's words occur; documents without any are left out. */
export function rankDocuments(query: string): TeamDocument[] {
  const words = query
    .toLowerCase()
    .split(/\W+/)
    .filter((word) => word.length > 2);
  const score = (document: TeamDocument) =>
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
