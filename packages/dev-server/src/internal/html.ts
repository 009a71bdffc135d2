import type { Context } from 'koa';
import { renderDevPage } from './pages/render-dev-page';
import { pageCsp } from './pages/send-dev-page';
import { devPageStylesPath } from './pages/styles';

/**
 * A complete page in the shared template (banner, header with the home link, styles) for callers
 * without a request context, such as the provider's `renderError`; `body` must already be escaped.
 * Route handlers use `sendDevPage`, which adds the navigation, the account and the security headers.
 */
export function page(title: string, body: string): string {
  return renderDevPage({
    title,
    body,
    header:
      '<div class="site-header"><div class="site-header-inner"><a class="brand" href="/">AgentGate dev server</a></div></div>',
    stylesheetHref: devPageStylesPath,
  });
}

/** The headers every dev-server page carries, for pages written without `sendDevPage` (error pages). */
export function setPageHeaders(ctx: Pick<Context, 'set'>): void {
  ctx.set('Content-Security-Policy', pageCsp({ formsStayOnSite: true }));
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cache-Control', 'no-store');
}
