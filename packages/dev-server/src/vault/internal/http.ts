import type { Context } from 'koa';

const MAX_BODY_BYTES = 64 * 1024;

/** Reads an `application/x-www-form-urlencoded` body (the mock provider's token and revocation wire). */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  const type = ctx.request.type;
  if (type !== 'application/x-www-form-urlencoded') {
    return new URLSearchParams();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new RangeError('request body too large');
    }
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A JSON response that no cache keeps (token responses and errors). */
export function sendJson(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(body);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** An HTML page around `body` (already safe HTML); `title` is escaped here. */
export function sendHtml(ctx: Context, status: number, title: string, body: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** A small HTML page with one message; `title` and `message` are escaped here. */
export function sendPage(ctx: Context, status: number, title: string, message: string): void {
  sendHtml(ctx, status, title, `<p>${escapeHtml(message)}</p>`);
}

/** Splits a space- or comma-separated scope list, dropping empties and duplicates. */
export function parseScopes(value: string | null | undefined): string[] {
  if (!value) {
    return [];
  }
  return [...new Set(value.split(/[\s,]+/).filter((scope) => scope.length > 0))];
}

/** Reads a small JSON body; `undefined` when the body is absent or not JSON. */
export async function readJson(ctx: Context): Promise<unknown> {
  if (ctx.request.type !== 'application/json') {
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new RangeError('request body too large');
    }
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
