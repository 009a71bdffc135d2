/**
 * A small deterministic embedder that needs no network and no model: each word (lower-cased, plural `s` dropped, stop
 * words skipped) and each pair of neighbouring words is hashed (FNV-1a) into one of 256 dimensions, and the vector is
 * scaled to length 1, so the dot product of two vectors is their cosine similarity. Good enough to rank a handful of
 * documents by shared words; a real app plugs in any LangChain `Embeddings` instead.
 */
import { Embeddings } from '@langchain/core/embeddings';

const DIMENSIONS = 256;
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'by',
  'doc',
  'docs',
  'document',
  'documents',
  'for',
  'from',
  'in',
  'is',
  'me',
  'my',
  'of',
  'on',
  'our',
  'per',
  'search',
  'the',
  'to',
  'we',
  'what',
  'with',
  'your',
]);

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The words of a text that carry meaning here, in order. */
export function meaningfulWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    .map((word) => (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word))
    .filter((word) => !STOP_WORDS.has(word));
}

/** Embeds texts by hashing their words and word pairs into a fixed number of dimensions. */
export class HashingEmbeddings extends Embeddings {
  constructor() {
    super({});
  }

  embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(embed(text));
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map(embed));
  }
}

function embed(text: string): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  const words = meaningfulWords(text);
  words.forEach((word, index) => {
    vector[fnv1a(word) % DIMENSIONS]! += 1;
    const next = words[index + 1];
    if (next !== undefined) vector[fnv1a(`${word} ${next}`) % DIMENSIONS]! += 0.5;
  });
  const length = Math.hypot(...vector);
  return length === 0 ? vector : vector.map((value) => value / length);
}
