import type { TupleKey } from '../engine/types';
import { ApiError, validationError } from './api-error';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field that must be a JSON object when present. */
export function optionalObject(value: unknown, field: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw validationError(`invalid ${field}: value must be an object`);
  return value;
}

/** A field that must be a string when present; the empty string reads as absent, as in proto3 JSON. */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw validationError(`invalid ${field}: value must be a string`);
  return value;
}

export function requiredString(value: unknown, field: string): string {
  const text = optionalString(value, field);
  if (text === undefined) throw validationError(`invalid ${field}: value length must be at least 1 runes`);
  return text;
}

/** A complete tuple key (`user`, `relation`, `object` all present), with its optional condition. */
export function tupleKey(value: unknown, field: string): TupleKey {
  if (!isObject(value)) throw validationError(`invalid ${field}: value is required`);
  const key: TupleKey = {
    user: requiredString(value.user, `${field}.user`),
    relation: requiredString(value.relation, `${field}.relation`),
    object: requiredString(value.object, `${field}.object`),
  };
  const condition = optionalObject(value.condition, `${field}.condition`);
  if (condition) {
    const context = optionalObject(condition.context, `${field}.condition.context`);
    key.condition = {
      name: requiredString(condition.name, `${field}.condition.name`),
      ...(context && { context }),
    };
  }
  return key;
}

export function tupleKeyList(value: unknown, field: string): TupleKey[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw validationError(`invalid ${field}: value must be an array`);
  return value.map((item, index) => tupleKey(item, `${field}[${index}]`));
}

/**
 * Contextual tuples of check, batch check, list objects and expand: `{ tuple_keys: [...] }`, at most
 * `limit` of them (OpenFGA's limit is 100).
 */
export function contextualTuples(value: unknown, limit: number, request: string): TupleKey[] {
  const wrapper = optionalObject(value, `${request}.ContextualTuples`);
  return limitedContextualTuples(wrapper?.tuple_keys, limit, `${request}.ContextualTuples`);
}

/** Contextual tuples of list users: a flat array, as OpenFGA's `ListUsersRequest` has them. */
export function flatContextualTuples(value: unknown, limit: number, request: string): TupleKey[] {
  return limitedContextualTuples(value, limit, `${request}.ContextualTuples`);
}

function limitedContextualTuples(value: unknown, limit: number, field: string): TupleKey[] {
  const tuples = tupleKeyList(value, field);
  if (tuples.length > limit) {
    throw validationError(`invalid ${field}: value must contain no more than ${limit} item(s)`);
  }
  return tuples;
}

const consistencyValues = new Set(['UNSPECIFIED', 'MINIMIZE_LATENCY', 'HIGHER_CONSISTENCY']);

/** `consistency` is accepted and checked; an in-process store is always consistent, so it changes nothing. */
export function checkConsistency(value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || !consistencyValues.has(value)) {
    throw validationError(`invalid value for enum field consistency: ${JSON.stringify(value)}`);
  }
}

/** `page_size` from a query string or a body: an integer in 1..100 when present. */
export function pageSize(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const size = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(size)) throw validationError(`invalid page_size: value must be an integer`);
  if (size < 1 || size > 100) {
    throw new ApiError('page_size_invalid', 'invalid PageSize: value must be inside range [1, 100]');
  }
  return size;
}

const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Store and model ids are ULIDs in OpenFGA; anything else is a `validation_error` before any lookup. */
export function ulid(value: string, field: string): string {
  if (!ulidPattern.test(value)) {
    throw validationError(
      `invalid ${field}: value does not match regex pattern "^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$"`,
    );
  }
  return value;
}

export function optionalUlid(value: unknown, field: string): string | undefined {
  const text = optionalString(value, field);
  return text === undefined ? undefined : ulid(text, field);
}
