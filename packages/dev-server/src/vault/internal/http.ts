import type { Context } from 'koa';
import { readBodyText } from '../../internal/read-body';

/** Reads an `application/x-www-form-urlencoded` body (the mock provider's token and revocation wire). */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  const type = ctx.request.type;
  if (type !== 'application/x-www-form-urlencoded') {
    return new URLSearchParams();
  }
  return new URLSearchParams(await readBodyText(ctx.req));
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
  // The pages carry forms that act for the signed-in user: never inside another site's frame.
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Content-Security-Policy', "frame-ancestors 'none'");
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
  const text = await readBodyText(ctx.req);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
