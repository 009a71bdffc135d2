import type { IncomingMessage } from 'node:http';
import { ApiError, validationError } from './api-error';

/**
 * Read a request body as a JSON object. An empty body reads as `{}` (the SDK sends none on some calls);
 * malformed JSON or a non-object is a `validation_error`; a body over `maxBytes` is refused with 413
 * before it is buffered whole.
 */
export async function readJsonBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLarge(maxBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw bodyTooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw validationError('malformed JSON: the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw validationError('malformed JSON: the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError('validation_error', `the request body is larger than ${maxBytes} bytes`, 413);
}
