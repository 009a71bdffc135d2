import { FgaError } from '../errors';
import type { PageRequest } from '../types';
import { decodeToken, encodeToken } from './ids';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

export function pageSize(page: PageRequest | undefined): number {
  const size = page?.page_size ?? DEFAULT_PAGE_SIZE;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new FgaError('validation_error', `page_size must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  return size;
}

function pageOffset(page: PageRequest | undefined, scope: string): number {
  const token = page?.continuation_token;
  if (!token) return 0;
  const decoded = decodeToken(token);
  if (!decoded || decoded.scope !== scope || typeof decoded.offset !== 'number') {
    throw new FgaError('invalid_continuation_token', 'invalid continuation token');
  }
  return decoded.offset;
}

export function paginate<T>(
  items: T[],
  page: PageRequest | undefined,
  scope: string,
): { items: T[]; token: string } {
  const size = pageSize(page);
  const offset = pageOffset(page, scope);
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? encodeToken({ scope, offset: offset + size }) : '';
  return { items: slice, token: next };
}

export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new FgaError('validation_error', `${name} is required`);
  return value;
}

/** Asserts a request body is an object, so malformed input is a `validation_error`, never a crash. */
export function requireRequest(request: unknown): void {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new FgaError('validation_error', 'the request must be an object');
  }
}

export function requireContext(context: unknown): Record<string, unknown> | undefined {
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw new FgaError('validation_error', 'context must be an object');
  }
  return context as Record<string, unknown>;
}
