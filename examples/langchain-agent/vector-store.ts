/**
 * A small in-memory LangChain vector store: documents with their vectors, ranked by cosine similarity (the embedder's
 * vectors have length 1, so a dot product). Its filter is a predicate over a document, which is where an allowed-id
 * set from FGA's pre-filter would go; `asRetriever()` comes from LangChain's `VectorStore`.
 */
import type { DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { VectorStore } from '@langchain/core/vectorstores';

interface StoredDocument {
  document: DocumentInterface;
  vector: number[];
}

/** Keeps a document when it returns true. */
export type DocumentPredicate = (document: DocumentInterface) => boolean;

/** An in-memory vector store over any `Embeddings`, ranked by cosine similarity. */
export class InMemoryVectorStore extends VectorStore {
  declare FilterType: DocumentPredicate;
  readonly #stored: StoredDocument[] = [];

  constructor(embeddings: EmbeddingsInterface) {
    super(embeddings, {});
  }

  _vectorstoreType(): string {
    return 'agentgate-demo-memory';
  }

  async addDocuments(documents: DocumentInterface[]): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((document) => document.pageContent));
    return this.addVectors(vectors, documents);
  }

  addVectors(vectors: number[][], documents: DocumentInterface[]): Promise<string[]> {
    if (vectors.length !== documents.length) {
      return Promise.reject(new TypeError('addVectors: one vector per document is required'));
    }
    const ids = documents.map((document, index) => {
      this.#stored.push({ document, vector: vectors[index]! });
      return document.id ?? String(this.#stored.length - 1);
    });
    return Promise.resolve(ids);
  }

  similaritySearchVectorWithScore(
    query: number[],
    k: number,
    filter?: DocumentPredicate,
  ): Promise<[DocumentInterface, number][]> {
    const scored = this.#stored
      .filter((entry) => filter === undefined || filter(entry.document))
      .map((entry): [DocumentInterface, number] => [entry.document, dot(query, entry.vector)])
      .filter(([, score]) => score > 0)
      .sort((left, right) => right[1] - left[1] || String(left[0].id).localeCompare(String(right[0].id)));
    return Promise.resolve(scored.slice(0, k));
  }
}

function dot(left: number[], right: number[]): number {
  let sum = 0;
  for (let index = 0; index < left.length; index += 1) sum += left[index]! * (right[index] ?? 0);
  return sum;
}
