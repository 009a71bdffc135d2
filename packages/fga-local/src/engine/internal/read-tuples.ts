import { FgaError } from '../errors';
import type { ReadRequest, ReadResponse } from '../types';
import { decodeToken, encodeToken } from './ids';
import { pageSize } from './request-fields';
import type { TupleIndex, TupleRecord } from './tuple-index';

/**
 * Reads stored tuples in write order, filtered like OpenFGA's `/read` (object `type:id` or `type:`, then
 * relation and user), a page at a time; the continuation token remembers the last tuple's sequence number.
 */
export function readTuples(index: TupleIndex, scope: string, request: ReadRequest): ReadResponse {
  const filter = request?.tuple_key ?? {};
  for (const field of ['object', 'relation', 'user'] as const) {
    if (filter[field] !== undefined && typeof filter[field] !== 'string') {
      throw new FgaError('validation_error', `tuple_key.${field} must be a string`);
    }
  }
  let candidates: Iterable<TupleRecord>;
  const objectFilter = filter.object;
  let wantedId: string | undefined;
  if (objectFilter) {
    const colon = objectFilter.indexOf(':');
    if (colon <= 0) throw new FgaError('validation_error', `invalid object '${objectFilter}'`);
    const type = objectFilter.slice(0, colon);
    wantedId = objectFilter.slice(colon + 1) || undefined;
    const list: TupleRecord[] = [];
    const ids = wantedId === undefined ? [...index.objectIds(type)] : [wantedId];
    for (const id of ids) {
      for (const bucket of index.relationsOf(type, id)?.values() ?? []) {
        for (const entry of bucket.byUser.values()) list.push(entry);
      }
    }
    list.sort((left, right) => left.sequence - right.sequence);
    candidates = list;
  } else {
    if (filter.user || filter.relation) {
      throw new FgaError(
        'validation_error',
        "the 'object' field must be set (at least 'type:') to filter a read",
      );
    }
    candidates = index.all.values();
  }
  const size = pageSize(request);
  const token = request.continuation_token;
  let after = -1;
  if (token) {
    const decoded = decodeToken(token);
    if (!decoded || decoded.scope !== scope || typeof decoded.after !== 'number') {
      throw new FgaError('invalid_continuation_token', 'invalid continuation token');
    }
    after = decoded.after;
  }
  const tuples: ReadResponse['tuples'] = [];
  let more = false;
  let lastSequence = -1;
  // Without an object filter `candidates` is the store's write-ordered map (a rewritten tuple moves to
  // the end), which is sequence order already.
  for (const entry of candidates) {
    if (entry.sequence <= after) continue;
    if (filter.relation && entry.key.relation !== filter.relation) continue;
    if (filter.user && entry.key.user !== filter.user) continue;
    if (tuples.length === size) {
      more = true;
      break;
    }
    tuples.push({ key: structuredClone(entry.key), timestamp: entry.timestamp });
    lastSequence = entry.sequence;
  }
  return {
    tuples,
    continuation_token: more ? encodeToken({ scope: scope, after: lastSequence }) : '',
  };
}
