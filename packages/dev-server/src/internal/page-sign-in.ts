import { createHash, randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import { escapeHtml, page } from './html';

/** Internal public client the server's own pages (inbox, connections) sign users in with. */
export const pagesClientId = 'agentgate-dev-pages';
/** `GET /signin?return_to=/path`: signs the browser in, then sends it to `return_to`. */
export const signInPath = '/signin';
export const signInCallbackPath = '/signin/callback';

const pendingTtlMs = 60 * 60 * 1000;
const maxPending = 10_000;
const defaultReturnTo = '/';

/**
 * A path on this server to send the browser to, or undefined: only a relative path (`/…`) that stays
 * on this origin is accepted, so a crafted link can never make the server redirect elsewhere
 * (`//host`, `/\host`, `https://…` and control characters are refused). The sign-in routes themselves
 * are refused too, so a return can never loop.
 */
export function safeReturnTo(value: unknown): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (typeof value !== 'string' || !value.startsWith('/') || /^\/[/\\]|[\\\u0000-\u001f\u007f]/.test(value)) {
    return undefined;
  }
  const base = new URL('http://return-to.invalid/');
  const url = new URL(value, base);
  if (
    url.origin !== base.origin ||
    url.pathname === signInPath ||
    url.pathname.startsWith(`${signInPath}/`)
  ) {
    return undefined;
  }
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The path of a sign-in that comes back to `returnTo` (for links on pages). */
export function signInLink(returnTo: string): string {
  return `${signInPath}?${new URLSearchParams({ return_to: returnTo })}`;
}

/**
 * Signs browsers in for the server's own pages with the provider's real login page (authorization
 * code + PKCE with the internal pages client), then returns them to the page they asked for. Where
 * to return is kept on the server under the random `state`, never read back from the callback URL.
 */
export class PageSignIn {
  readonly #issuer: string;
  readonly #pending = new Map<string, { returnTo: string; expiresAt: number }>();

  constructor(options: { issuer: string }) {
    this.#issuer = options.issuer;
  }

  /** The authorization URL that signs the browser in and comes back to `returnTo` (else `/`). */
  start(returnTo: string): string {
    const now = Date.now();
    for (const [state, pending] of this.#pending) {
      if (pending.expiresAt > now && this.#pending.size < maxPending) break;
      this.#pending.delete(state);
    }
    const state = randomBytes(16).toString('base64url');
    this.#pending.set(state, {
      returnTo: safeReturnTo(returnTo) ?? defaultReturnTo,
      expiresAt: now + pendingTtlMs,
    });
    const url = new URL('authorize', this.#issuer);
    url.search = new URLSearchParams({
      client_id: pagesClientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: new URL(signInCallbackPath.slice(1), this.#issuer).href,
      // The pages only need the provider session, never the code; PKCE is still mandatory.
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
      state,
    }).toString();
    return url.href;
  }

  /** Serves `GET /signin?return_to=` and the callback `GET /signin/callback`. */
  readonly middleware: Middleware = async (ctx, next) => {
    if (ctx.method !== 'GET' || (ctx.path !== signInPath && ctx.path !== signInCallbackPath)) return next();
    ctx.set('Cache-Control', 'no-store');
    if (ctx.path === signInPath) {
      ctx.redirect(this.start(String(ctx.query.return_to ?? '')));
      return;
    }
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = this.#pending.get(state);
    this.#pending.delete(state);
    const returnTo = pending && pending.expiresAt > Date.now() ? pending.returnTo : defaultReturnTo;
    if (typeof ctx.query.error === 'string') {
      const reason =
        typeof ctx.query.error_description === 'string' ? ctx.query.error_description : ctx.query.error;
      ctx.status = 400;
      ctx.type = 'html';
      ctx.set('X-Frame-Options', 'DENY');
      ctx.body = page(
        'Sign in',
        `<p class="error">Sign-in did not complete: ${escapeHtml(reason)}.</p>
<p><a id="retry" href="${escapeHtml(signInLink(returnTo))}">Sign in again</a></p>`,
      );
      return;
    }
    ctx.redirect(returnTo);
  };
}
