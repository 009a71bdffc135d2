import { createHash, randomBytes } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { escapeHtml } from './pages/escape-html';
import { sendDevPage } from './pages/send-dev-page';

/** Internal public client the server's own pages (inbox, connections) sign users in with. */
export const pagesClientId = 'agentgate-dev-pages';
/** `GET /signin?return_to=/path`: signs the browser in, then sends it to `return_to`. */
export const signInPath = '/signin';
export const signInCallbackPath = '/signin/callback';

const pendingTtlMs = 60 * 60 * 1000;
const maxPending = 10_000;
const defaultReturnTo = '/';

/** The longest `return_to` accepted (before and after normalisation): longer ones fall back to `/`. */
export const maxReturnToLength = 2048;

/**
 * A path on this server to send the browser to, or undefined: only a relative path (`/…`) that stays
 * on this origin is accepted, so a crafted link can never make the server redirect elsewhere
 * (`//host`, `/\host`, `https://…` and control characters are refused). The check runs on the
 * normalised result as well as on the input, because the URL parser collapses dot segments
 * (`/.//host`, `/a/..//host`, `/%2e//host` all become `//host`). The sign-in routes themselves are
 * refused too, so a return can never loop; so is anything over {@link maxReturnToLength} characters.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (
    typeof value !== 'string' ||
    value.length > maxReturnToLength ||
    !value.startsWith('/') ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    /^\/[/\\]|[\\\u0000-\u001f\u007f]/.test(value)
  ) {
    return undefined;
  }
  const base = new URL('http://return-to.invalid/');
  const url = new URL(value, base);
  const target = `${url.pathname}${url.search}${url.hash}`;
  if (
    url.origin !== base.origin ||
    // What the browser will resolve against this origin: a scheme-relative result leaves it.
    /^\/[/\\]/.test(target) ||
    target.length > maxReturnToLength ||
    url.pathname === signInPath ||
    url.pathname.startsWith(`${signInPath}/`)
  ) {
    return undefined;
  }
  return target;
}

/** The path of a sign-in that comes back to `returnTo` (for links on pages). */
export function signInLink(returnTo: string): string {
  return `${signInPath}?${new URLSearchParams({ return_to: returnTo })}`;
}

/** Error codes as OAuth defines them (`access_denied`, `login_required`, …); anything else is not shown. */
const errorCodePattern = /^[\w.-]{1,64}$/;
const stateCookie = (state: string) => `agentgate.signin.${state}`;

/**
 * Signs browsers in for the server's own pages with the provider's real login page (authorization
 * code + PKCE with the internal pages client), then returns them to the page they asked for. Where
 * to return is kept on the server under the random `state`, never read back from the callback URL;
 * the `state` is also bound to the browser that started the sign-in (a cookie scoped to the callback),
 * so a callback link crafted by someone else is treated as unknown.
 */
export class PageSignIn {
  readonly #issuer: string;
  readonly #pending = new Map<string, { returnTo: string; expiresAt: number }>();

  constructor(options: { issuer: string }) {
    this.#issuer = options.issuer;
  }

  /** The authorization URL that signs this browser in and comes back to `returnTo` (else `/`). */
  start(ctx: Context, returnTo: string): string {
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
    ctx.cookies.set(stateCookie(state), '1', {
      path: signInCallbackPath,
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.secure,
      signed: false,
      maxAge: pendingTtlMs,
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

  /** The sign-in this browser started under `state`, taken out of the pending list; undefined if unknown. */
  #finish(ctx: Context, state: string): { returnTo: string } | undefined {
    const pending = this.#pending.get(state);
    if (!pending) return undefined;
    const cookie = stateCookie(state);
    if (ctx.cookies.get(cookie, { signed: false }) !== '1') return undefined;
    this.#pending.delete(state);
    ctx.cookies.set(cookie, null, { path: signInCallbackPath, signed: false });
    return pending.expiresAt > Date.now() ? pending : undefined;
  }

  /** Serves `GET /signin?return_to=` and the callback `GET /signin/callback`. */
  readonly middleware: Middleware = async (ctx, next) => {
    if (ctx.method !== 'GET' || (ctx.path !== signInPath && ctx.path !== signInCallbackPath)) return next();
    ctx.set('Cache-Control', 'no-store');
    if (ctx.path === signInPath) {
      ctx.redirect(this.start(ctx, String(ctx.query.return_to ?? '')));
      return;
    }
    const pending = this.#finish(ctx, typeof ctx.query.state === 'string' ? ctx.query.state : '');
    const returnTo = pending?.returnTo ?? defaultReturnTo;
    const { error, error_description: description } = ctx.query;
    if (typeof error === 'string') {
      // Words from the URL are shown only for a sign-in this browser started: anyone can craft a callback
      // link, and this page is on the server's own origin. Otherwise only a well-formed error code.
      const reason =
        pending && typeof description === 'string'
          ? description
          : errorCodePattern.test(error)
            ? error
            : 'the provider returned an error';
      await sendDevPage(ctx, 400, {
        title: 'Sign in',
        returnTo,
        body: `<p class="notice notice-error" role="alert">Sign-in did not complete: ${escapeHtml(reason)}.</p>
<p><a id="retry" href="${escapeHtml(signInLink(returnTo))}">Sign in again</a></p>`,
      });
      return;
    }
    ctx.redirect(returnTo);
  };
}
