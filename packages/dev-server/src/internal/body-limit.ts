import type { Middleware } from 'koa';
import { escapeHtml, page } from './html';
import { bodyLimitBytes, RequestBodyTooLarge } from './read-body';

/**
 * The dev server's first middleware: every request body over {@link bodyLimitBytes} is refused with
 * 413, whichever route reads it. A declared `Content-Length` over the limit is refused before any
 * route runs (this covers the provider's own endpoints too); a larger chunked body fails in the route's
 * body reader with {@link RequestBodyTooLarge}, caught here. Browsers get an HTML page, other clients
 * an OAuth-style JSON error.
 */
export function createBodyLimit(): Middleware {
  return async (ctx, next) => {
    const declared = ctx.request.length;
    if (declared !== undefined && declared > bodyLimitBytes) {
      ctx.req.resume();
      return refuse(ctx);
    }
    try {
      await next();
    } catch (error) {
      if (error instanceof RequestBodyTooLarge) return refuse(ctx);
      throw error;
    }
  };
}

function refuse(ctx: Parameters<Middleware>[0]): void {
  const description = new RequestBodyTooLarge().message;
  ctx.status = 413;
  ctx.set('Cache-Control', 'no-store');
  // The unread rest of the body is discarded; the connection is not reused for another request.
  ctx.set('Connection', 'close');
  if (ctx.accepts('json', 'html') === 'html') {
    ctx.type = 'html';
    ctx.body = page('Request too large', `<p class="error">${escapeHtml(description)}.</p>`);
    return;
  }
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ error: 'invalid_request', error_description: description });
}
