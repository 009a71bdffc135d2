import type { IncomingMessage } from 'node:http';
import { ApiError, validationError } from './api-error';

/**
 * Read a request body as a JSON object. An empty body reads as `{}`; malformed JSON or a non-object is a
 * `validation_error`; a body over `maxBytes` is refused with 413 before it is buffered whole. A body must
 * come as `application/json` (415 otherwise): a web page can post `text/plain` to a loopback server
 * without a CORS preflight, and must not be able to write tuples that way.
 */
export async function readJsonBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const {
    'content-length': length,
    'content-type': contentType,
    'transfer-encoding': encoding,
  } = request.headers;
  const hasBody = (length !== undefined && length !== '0') || encoding !== undefined;
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (hasBody && mediaType !== 'application/json') {
    throw new ApiError('validation_error', 'the request body must be sent as application/json', 415);
  }
  const declared = Number(length);
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
