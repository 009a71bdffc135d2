import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { ApprovalItem } from '../types';
import type { AccountDirectory } from './accounts';
import type { ApprovalRegistry } from './approvals';
import { summarizeAuthorizationDetail } from './authorization-details';
import type { CsrfTokens } from './csrf';
import { escapeHtml, page } from './html';
import { type PageSignIn, signInLink } from './page-sign-in';
import { loa1 } from './provider-config';
import { readForm } from './read-body';

const itemPattern = /^\/inbox\/([\w-]+)(?:\/(approve|deny))?$/;

interface InboxSession {
  accountId: string;
  uid: string;
  acr: string;
  amr: string[];
  authTime: number;
}

function renderItem(item: ApprovalItem, csrf: string | undefined): string {
  const details = item.authorizationDetails
    .map(
      (detail) => `<li><span class="summary">${escapeHtml(summarizeAuthorizationDetail(detail))}</span>
<details><summary>Raw</summary><pre>${escapeHtml(JSON.stringify(detail, null, 2))}</pre></details></li>`,
    )
    .join('');
  const expires = new Date(item.expiresAt * 1000).toISOString();
  const actions =
    item.status === 'pending' && csrf
      ? `<form method="post" action="/inbox/${escapeHtml(item.id)}/approve" style="display:inline">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="approve">Approve</button></form>
<form method="post" action="/inbox/${escapeHtml(item.id)}/deny" style="display:inline">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="deny">Deny</button></form>`
      : `<p class="status">Status: ${escapeHtml(item.status)}</p>`;
  return `<div class="card approval" data-approval-id="${escapeHtml(item.id)}" data-status="${escapeHtml(item.status)}">
<p><strong>${escapeHtml(item.clientName)}</strong> asks for your approval.</p>
${item.bindingMessage ? `<p class="binding-message">“${escapeHtml(item.bindingMessage)}”</p>` : ''}
${details ? `<ul class="authorization-details">${details}</ul>` : ''}
<p class="muted">Scope: ${escapeHtml(item.scope)} · expires ${escapeHtml(expires)}</p>
${actions}
</div>`;
}

/**
 * The approval inbox: `/inbox` lists the signed-in user's CIBA requests, `/inbox/:id` shows one,
 * `POST /inbox/:id/approve|deny` decides it (CSRF-protected). Users only ever see their own requests.
 * Signing in goes through the provider's own login page ({@link PageSignIn}) and back to the page.
 */
export function createInboxRoutes(options: {
  provider: () => Provider;
  approvals: ApprovalRegistry;
  accounts: AccountDirectory;
  csrf: CsrfTokens;
  signIn: PageSignIn;
}): Middleware {
  const { approvals } = options;
  const csrfToken = (session: InboxSession, id: string) => options.csrf.token(session.uid, id);

  const currentSession = async (ctx: Context): Promise<InboxSession | undefined> => {
    const session = await options.provider().Session.get(ctx);
    if (!session.accountId || !options.accounts.bySub(session.accountId)) return undefined;
    return {
      accountId: session.accountId,
      uid: session.uid,
      acr: session.acr ?? loa1,
      amr: session.amr ?? ['pwd'],
      authTime: session.loginTs ?? Math.floor(Date.now() / 1000),
    };
  };

  // Back to the very page asked for (`/inbox/:id` included) once signed in.
  const signIn = (ctx: Context) => ctx.redirect(options.signIn.start(ctx, ctx.url));

  const html = (ctx: Context, status: number, title: string, body: string) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.body = page(title, body);
  };

  return async (ctx, next) => {
    if ((ctx.path === '/inbox' || ctx.path === '/inbox/') && ctx.method === 'GET') {
      const session = await currentSession(ctx);
      if (!session) return signIn(ctx);
      const user = options.accounts.bySub(session.accountId);
      const items = approvals.list({ sub: session.accountId });
      const pending = items.filter((item) => item.status === 'pending');
      const decided = items.filter((item) => item.status !== 'pending');
      const notice =
        typeof ctx.query.done === 'string'
          ? `<p role="status">Request ${escapeHtml(ctx.query.done)}.</p>`
          : '';
      html(
        ctx,
        200,
        'Approval inbox',
        `<p>Signed in as <strong id="signed-in-as">${escapeHtml(user?.name)}</strong> (${escapeHtml(user?.username)}).</p>
${notice}
<h2>Pending</h2>
${pending.length ? pending.map((item) => renderItem(item, csrfToken(session, item.id))).join('') : '<p id="empty">Nothing waits for your approval.</p>'}
${decided.length ? `<h2>Decided</h2>${decided.map((item) => renderItem(item, undefined)).join('')}` : ''}`,
      );
      return;
    }

    const match = itemPattern.exec(ctx.path);
    if (!match) return next();
    const [, id = '', action] = match;

    const session = await currentSession(ctx);
    if (!session) {
      if (ctx.method === 'GET') return signIn(ctx);
      html(
        ctx,
        401,
        'Approval inbox',
        `<p class="error">Sign in first.</p><p><a id="sign-in" href="${escapeHtml(signInLink('/inbox'))}">Sign in</a></p>`,
      );
      return;
    }
    const item = approvals.get(id);
    if (!item) {
      html(ctx, 404, 'Approval inbox', '<p class="error">No such request.</p>');
      return;
    }
    if (item.sub !== session.accountId) {
      html(ctx, 403, 'Approval inbox', '<p class="error">This request belongs to another user.</p>');
      return;
    }

    if (ctx.method === 'GET' && action === undefined) {
      html(ctx, 200, 'Approval request', renderItem(item, csrfToken(session, item.id)));
      return;
    }
    if (ctx.method !== 'POST' || action === undefined) {
      ctx.status = 405;
      return;
    }
    const form = await readForm(ctx.req);
    if (!options.csrf.verify(form.csrf, session.uid, item.id)) {
      html(
        ctx,
        403,
        'Approval inbox',
        '<p class="error">The form expired or did not come from this page.</p>',
      );
      return;
    }
    try {
      if (action === 'approve') {
        await approvals.approve(id, { acr: session.acr, amr: session.amr, authTime: session.authTime });
      } else {
        await approvals.deny(id);
      }
    } catch (error) {
      html(ctx, 409, 'Approval inbox', `<p class="error">${escapeHtml((error as Error).message)}</p>`);
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/inbox?done=${action === 'approve' ? 'approved' : 'denied'}`);
  };
}
