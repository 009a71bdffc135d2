import type { Context } from 'koa';
import { escapeHtml } from '../../internal/pages/escape-html';
import { sendDevPage } from '../../internal/pages/send-dev-page';
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

/** A dev-server page with one message (the shared template, banner and headers); `message` is escaped here. */
export async function sendPage(ctx: Context, status: number, title: string, message: string): Promise<void> {
  await sendDevPage(ctx, status, { title, body: `<p>${escapeHtml(message)}</p>`, section: 'connections' });
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
