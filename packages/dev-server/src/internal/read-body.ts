import type { IncomingMessage } from 'node:http';

/** The largest request body any route of the dev server reads: 64 KiB. */
export const bodyLimitBytes = 64 * 1024;

/**
 * A request body over {@link bodyLimitBytes}. Koa answers it with 413 on its own (`status`, `expose`);
 * the dev server's `createBodyLimit` middleware turns it into a JSON or HTML error.
 */
export class RequestBodyTooLarge extends Error {
  readonly status = 413;
  readonly expose = true;

  constructor() {
    super(`the request body is larger than ${bodyLimitBytes} bytes`);
    this.name = 'RequestBodyTooLarge';
  }
}

/**
 * Reads a request body as text (at most {@link bodyLimitBytes}). A larger body rejects with
 * {@link RequestBodyTooLarge} as soon as it passes the limit; the rest is read and discarded rather
 * than the socket destroyed, so the client still receives the 413 answer instead of a reset.
 */
export function readBodyText(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > bodyLimitBytes) {
    request.resume();
    return Promise.reject(new RequestBodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size > bodyLimitBytes) {
        cleanup();
        request.resume();
        reject(new RequestBodyTooLarge());
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
  });
}

/** Reads an `application/x-www-form-urlencoded` body into a plain record (last value wins). */
export async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  return Object.fromEntries(new URLSearchParams(await readBodyText(request)));
}
