import type { Middleware } from 'koa';
import { page, setPageHeaders } from './html';
import { escapeHtml } from './pages/escape-html';
import { bodyLimitBytes, discardRest, RequestBodyTooLarge, readBodyText, replayBody } from './read-body';

/**
 * The dev server's first middleware: every request body over {@link bodyLimitBytes} is refused with
 * 413, whichever route would read it. A declared `Content-Length` over the limit is refused before any
 * route runs; a body sent without one (chunked) is read here, up to the limit, before any route runs,
 * so oidc-provider's own endpoints (introspection, revocation, PAR, …) never see an oversized body
 * either. The refused body is drained before the answer goes out. Browsers get an HTML page, other
 * clients an OAuth-style JSON error.
 */
export function createBodyLimit(): Middleware {
  return async (ctx, next) => {
    const declared = ctx.request.length;
    if (declared !== undefined && declared > bodyLimitBytes) return refuse(ctx);
    try {
      if (declared === undefined && ctx.request.headers['transfer-encoding'] !== undefined) {
        // Read (and measured) here, then put back with its length for the route that reads it.
        replayBody(ctx, await readBodyText(ctx.req));
      }
      await next();
    } catch (error) {
      if (error instanceof RequestBodyTooLarge) return refuse(ctx);
      throw error;
    }
  };
}

async function refuse(ctx: Parameters<Middleware>[0]): Promise<void> {
  await discardRest(ctx.req);
  const description = new RequestBodyTooLarge().message;
  ctx.status = 413;
  ctx.set('Cache-Control', 'no-store');
  // The connection is not reused for another request (a body past the discard limit is still arriving).
  ctx.set('Connection', 'close');
  if (ctx.accepts('json', 'html') === 'html') {
    ctx.type = 'html';
    setPageHeaders(ctx);
    ctx.body = page('Request too large', `<p class="error">${escapeHtml(description)}.</p>`);
    return;
  }
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ error: 'invalid_request', error_description: description });
}
