import { IncomingMessage } from 'node:http';
import type { Context } from 'koa';

/**
 * The largest request body any route of the dev server reads: 56 KiB, the limit oidc-provider applies
 * to its own endpoints, so a body it would refuse never reaches it.
 */
export const bodyLimitBytes = 56 * 1024;

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

/** Bodies already read, so a second reader of the same request gets the same text. */
const alreadyRead = new WeakMap<IncomingMessage, string>();

/**
 * Reads a request body as text (at most {@link bodyLimitBytes}). A larger body rejects with
 * {@link RequestBodyTooLarge} as soon as it passes the limit; the rest is read and discarded rather
 * than the socket destroyed (see {@link discardRest}). A body read before (by `createBodyLimit`) is
 * returned again.
 */
export function readBodyText(request: IncomingMessage): Promise<string> {
  const known = alreadyRead.get(request);
  if (known !== undefined) return Promise.resolve(known);
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
      const text = Buffer.concat(chunks).toString('utf8');
      alreadyRead.set(request, text);
      resolve(text);
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

/**
 * Puts back a body this server read (a chunked body measured up front, a JSON body rewritten as a form) as the
 * request's own, for oidc-provider to read like any other: a consumed stream would make it fall back to `req.body`,
 * with a warning on the console. The request gets a `Content-Length` for `text` (and `contentType`, when given).
 */
export function replayBody(ctx: Context, text: string, contentType?: string): void {
  const original = ctx.req;
  const body = Buffer.from(text, 'utf8');
  const { 'transfer-encoding': _chunked, ...headers } = original.headers;
  const replay = new IncomingMessage(original.socket);
  replay.method = original.method;
  replay.url = original.url ?? '/';
  replay.httpVersion = original.httpVersion;
  replay.httpVersionMajor = original.httpVersionMajor;
  replay.httpVersionMinor = original.httpVersionMinor;
  replay.headers = {
    ...headers,
    ...(contentType === undefined ? {} : { 'content-type': contentType }),
    'content-length': String(body.length),
  };
  replay.complete = true; // all of it is here: ending it must not abort the connection
  replay.push(body);
  replay.push(null);
  ctx.req = replay;
  ctx.request.req = replay;
}

/** How much of a refused body is read and thrown away before answering; past it the connection is dropped. */
const maxDiscardBytes = 16 * 1024 * 1024;

/**
 * Reads and discards the rest of a refused request body, resolving once it has ended (or after
 * 16 MiB), so the 413 answer is sent after the client finished sending: answering mid-upload and closing
 * makes the client see a connection reset instead of the answer.
 */
export function discardRest(request: IncomingMessage): Promise<void> {
  if (request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let discarded = 0;
    const done = () => {
      request.off('data', onData);
      request.off('end', done);
      request.off('close', done);
      request.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer | string) => {
      discarded += chunk.length;
      if (discarded > maxDiscardBytes) done();
    };
    request.on('data', onData);
    request.once('end', done);
    request.once('close', done);
    request.once('error', done);
    request.resume();
  });
}

/** Reads an `application/x-www-form-urlencoded` body into a plain record (last value wins). */
export async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  return Object.fromEntries(new URLSearchParams(await readBodyText(request)));
}
