import type { Context } from 'koa';
import { devPageScriptPath } from './client-script';
import { escapeHtml } from './escape-html';
import { pageSiteOf, signOutPath } from './page-state';
import { renderDevPage } from './render-dev-page';
import { devPageStylesPath } from './styles';

/** The sections of the site header; the current one is marked for screen readers. */
export type PageSection = 'home' | 'inbox' | 'connections';

/**
 * The Content-Security-Policy of every page: only the server's own stylesheet and script, fetches to
 * itself, no frames. `form-action` is set only where no form ends in a redirect to a client app
 * (Chromium applies it to a form's redirects, and sign-in ends at the client's `redirect_uri`).
 */
export function pageCsp(options: { formsStayOnSite: boolean }): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    ...(options.formsStayOnSite ? ["form-action 'self'"] : []),
  ].join('; ');
}

export interface SendDevPageOptions {
  title: string;
  /** Escaped HTML inside `<main>`. */
  body: string;
  /** Which section of the header is current; default none. */
  section?: PageSection;
  /**
   * Whether the header shows navigation and the account (sign-in link or sign-out); default true.
   * The sign-in pages turn it off: the person is in the middle of signing in.
   */
  navigation?: boolean;
  /** Where "Sign in" comes back to when signed out; default this page's URL (GET) or `/`. */
  returnTo?: string;
  /** Show the `<h1>` from the title; default true. */
  heading?: boolean;
  /** Load the client script (live inbox, relative times); default false. */
  script?: boolean;
  /** Whether every form of the page stays on this server (adds `form-action 'self'`); default true. */
  formsStayOnSite?: boolean;
}

async function siteHeader(ctx: Context, options: SendDevPageOptions): Promise<string> {
  const brand = '<a class="brand" href="/">AgentGate dev server</a>';
  if (options.navigation === false) {
    return `<div class="site-header"><div class="site-header-inner">${brand}</div></div>`;
  }
  const site = pageSiteOf(ctx);
  const account = site ? await site.account(ctx) : undefined;
  const link = (section: PageSection, href: string, label: string) =>
    `<a href="${href}"${options.section === section ? ' aria-current="page"' : ''}>${label}</a>`;
  const returnTo = options.returnTo ?? (ctx.method === 'GET' ? ctx.url : '/');
  const accountHtml = account
    ? `<span>Signed in as <strong id="signed-in-as">${escapeHtml(account.name)}</strong></span>
<form method="post" action="${signOutPath}"><input type="hidden" name="token" value="${escapeHtml(account.signOutCsrf)}"><button type="submit" class="button button-link">Sign out</button></form>`
    : site
      ? `<a href="${escapeHtml(site.signInLink(returnTo))}">Sign in</a>`
      : '';
  return `<div class="site-header"><div class="site-header-inner">${brand}
<nav class="site-nav" aria-label="Main">${link('inbox', '/inbox', 'Approval inbox')}${link('connections', '/connections', 'Connected accounts')}</nav>
<div class="account">${accountHtml}</div>
</div></div>`;
}

/**
 * Answers with a complete dev-server page: the shared template with banner and header, and the
 * headers every page carries (no caching, no framing, a strict Content-Security-Policy).
 */
export async function sendDevPage(ctx: Context, status: number, options: SendDevPageOptions): Promise<void> {
  const header = await siteHeader(ctx, options);
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Content-Security-Policy', pageCsp({ formsStayOnSite: options.formsStayOnSite !== false }));
  ctx.body = renderDevPage({
    title: options.title,
    body: options.body,
    header,
    stylesheetHref: devPageStylesPath,
    ...(options.script ? { scripts: [devPageScriptPath] } : {}),
    ...(options.heading === false ? { heading: false } : {}),
  });
}
