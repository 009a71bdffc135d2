/**
 * Sign-in for the chat: the dev server's real login page through `@agentgate/identity`'s `createLogin` (authorization
 * code + PKCE + state + nonce on `openid-client`). The verified session and its tokens stay on the server, keyed by a
 * random id in an HttpOnly cookie; the browser never holds a token.
 */
import { randomBytes } from 'node:crypto';
import type { AgentSession } from '@agentgate/core';
import type { AuthorizationChecks, Login, LoginTokens } from '@agentgate/identity';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

const SESSION_COOKIE = 'chat_session';
const LOGIN_COOKIE = 'chat_login';
const LOGIN_TTL_MS = 10 * 60 * 1000;

/** A signed-in user: the session built from the verified access token, and the tokens (server side only). */
export interface SignedInUser {
  session: AgentSession;
  tokens: LoginTokens;
}

/** Server-side sessions and pending logins, in memory (a real app uses its session store). */
export class ChatSessions {
  readonly #users = new Map<string, SignedInUser>();
  readonly #pending = new Map<string, { checks: AuthorizationChecks; expires: number }>();

  /** The signed-in user of a request, or undefined (also once the access token expired). */
  userOf(context: Context): SignedInUser | undefined {
    const id = getCookie(context, SESSION_COOKIE);
    const user = id === undefined ? undefined : this.#users.get(id);
    if (id !== undefined && user !== undefined && user.tokens.expiresAt * 1000 <= Date.now()) {
      this.#users.delete(id);
      return undefined;
    }
    return user;
  }

  /** Adds the sign-in routes: `GET /login`, `GET /callback`, `POST /logout`. */
  install(app: Hono, login: Login, redirectUri: string): void {
    const cookieOptions = { httpOnly: true, sameSite: 'Lax', path: '/' } as const;

    app.get('/login', async (context) => {
      const { url, checks } = await login.createAuthorization();
      const id = randomId();
      for (const [key, pending] of this.#pending) if (pending.expires < Date.now()) this.#pending.delete(key);
      this.#pending.set(id, { checks, expires: Date.now() + LOGIN_TTL_MS });
      setCookie(context, LOGIN_COOKIE, id, { ...cookieOptions, maxAge: LOGIN_TTL_MS / 1000 });
      return context.redirect(url.href);
    });

    app.get('/callback', async (context) => {
      const id = getCookie(context, LOGIN_COOKIE);
      const pending = id === undefined ? undefined : this.#pending.get(id);
      if (id !== undefined) this.#pending.delete(id);
      deleteCookie(context, LOGIN_COOKIE, cookieOptions);
      if (pending === undefined || pending.expires < Date.now()) {
        return context.html(signInProblem('This sign-in has expired or was started elsewhere.'), 400);
      }
      // The redirect URI as registered, with the query the provider sent (state, code, iss).
      const callback = new URL(redirectUri);
      callback.search = new URL(context.req.url).search;
      try {
        const user = await login.handleCallback(callback, pending.checks);
        const sessionId = randomId();
        this.#users.set(sessionId, user);
        setCookie(context, SESSION_COOKIE, sessionId, cookieOptions);
        return context.redirect('/');
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return context.html(signInProblem(`Sign-in failed (${String(code ?? 'error')}).`), 400);
      }
    });

    const origin = new URL(redirectUri).origin;
    app.post('/logout', async (context) => {
      // A form on another site cannot sign the user out (its response would clear the cookie).
      if (context.req.header('origin') !== origin) return context.text('Cross-origin request.', 403);
      const id = getCookie(context, SESSION_COOKIE);
      if (id !== undefined) this.#users.delete(id);
      deleteCookie(context, SESSION_COOKIE, cookieOptions);
      return context.redirect('/', 303);
    });
  }
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

function signInProblem(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in problem</title><link rel="stylesheet" href="/styles.css"></head><body><main><h1>Sign-in problem</h1><p role="alert">${message}</p><p><a class="button button-primary" href="/login">Sign in again</a></p></main></body></html>`;
}
