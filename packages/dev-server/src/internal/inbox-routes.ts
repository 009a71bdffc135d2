import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { ApprovalItem } from '../types';
import type { AccountDirectory } from './accounts';
import type { ApprovalRegistry } from './approvals';
import type { CsrfTokens } from './csrf';
import { type PageSignIn, signInLink } from './page-sign-in';
import { approvalCard } from './pages/approval-card';
import { linkButton, notice } from './pages/components';
import { escapeHtml } from './pages/escape-html';
import { type SendDevPageOptions, sendDevPage } from './pages/send-dev-page';
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

/** Changes whenever a request appears or is decided: the live region swaps its content only then. */
function signatureOf(items: readonly ApprovalItem[]): string {
  return items.map((item) => `${item.id}:${item.status}`).join(',');
}

function announcementOf(pending: readonly ApprovalItem[]): string {
  if (pending.length === 0) return 'Nothing waits for your approval.';
  const newest = pending[pending.length - 1];
  return `${pending.length} request${pending.length === 1 ? '' : 's'} waiting. Newest from ${newest?.clientName}.`;
}

const doneNotices: Record<string, string> = {
  approved: 'Request approved. The agent receives its answer on its next poll.',
  denied: 'Request denied. The agent is told you said no.',
};

/**
 * The approval inbox: `/inbox` lists the signed-in user's CIBA requests (refreshing itself while
 * open), `/inbox/:id` shows one, `POST /inbox/:id/approve|deny` decides it (CSRF-protected) and
 * redirects (post/redirect/get), so a reload never decides twice. Users only ever see their own
 * requests. Signing in goes through the provider's own login page ({@link PageSignIn}) and back.
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

  const send = (ctx: Context, status: number, page: Omit<SendDevPageOptions, 'section'>) =>
    sendDevPage(ctx, status, { section: 'inbox', ...page });
  const problem = (ctx: Context, status: number, message: string) =>
    send(ctx, status, {
      title: 'Approval inbox',
      body: `<p class="error" role="alert">${escapeHtml(message)}</p>
<p>${linkButton('/inbox', 'Back to the inbox', 'secondary', 'back')}</p>`,
    });

  const listPage = (ctx: Context, session: InboxSession) => {
    const items = approvals.list({ sub: session.accountId });
    const pending = items.filter((item) => item.status === 'pending');
    const decided = items.filter((item) => item.status !== 'pending').reverse();
    const { done: doneKey } = ctx.query;
    // An own key only: `done=constructor` must not find Object.prototype's members.
    const done =
      typeof doneKey === 'string' && Object.hasOwn(doneNotices, doneKey) ? doneNotices[doneKey] : undefined;
    const card = (item: ApprovalItem, csrf?: string) =>
      approvalCard(item, { headingLevel: 3, linkToDetail: true, ...(csrf ? { csrf } : {}) });
    const waiting = pending.length
      ? pending.map((item) => card(item, csrfToken(session, item.id))).join('')
      : '<p id="empty" class="card">Nothing waits for your approval. New requests appear here by themselves.</p>';
    return send(ctx, 200, {
      title: 'Approval inbox',
      script: true,
      body: `${done ? notice(done, 'success') : ''}
<p class="lead">Agents ask here before they act for you. Check what the server verified, then approve or deny.</p>
<p id="live-status" class="visually-hidden" role="status"></p>
<div data-live="/inbox" data-signature="${escapeHtml(signatureOf(items))}" data-announce="${escapeHtml(announcementOf(pending))}">
<section aria-labelledby="pending-heading"><h2 id="pending-heading">Waiting for you (${pending.length})</h2>
${waiting}</section>
${decided.length ? `<section aria-labelledby="decided-heading"><h2 id="decided-heading">Decided</h2>${decided.map((item) => card(item)).join('')}</section>` : ''}
</div>`,
    });
  };

  return async (ctx, next) => {
    if ((ctx.path === '/inbox' || ctx.path === '/inbox/') && ctx.method === 'GET') {
      const session = await currentSession(ctx);
      if (!session) return signIn(ctx);
      return listPage(ctx, session);
    }

    const match = itemPattern.exec(ctx.path);
    if (!match) return next();
    const [, id = '', action] = match;

    const session = await currentSession(ctx);
    if (!session) {
      if (ctx.method === 'GET') return signIn(ctx);
      return send(ctx, 401, {
        title: 'Sign in to decide',
        body: `<p class="error" role="alert">Your session ended before the form was sent. Sign in first, then decide again.</p>
<p><a id="sign-in" class="button button-primary" href="${escapeHtml(signInLink('/inbox'))}">Sign in</a></p>`,
      });
    }
    const item = approvals.get(id);
    if (!item) return problem(ctx, 404, 'No such request.');
    if (item.sub !== session.accountId) return problem(ctx, 403, 'This request belongs to another user.');

    if (ctx.method === 'GET' && action === undefined) {
      return send(ctx, 200, {
        title: 'Approval request',
        script: true,
        body: `<p><a id="back" href="/inbox">← All requests</a></p>
<p id="live-status" class="visually-hidden" role="status"></p>
<div data-live="/inbox/${escapeHtml(item.id)}" data-signature="${escapeHtml(signatureOf([item]))}" data-announce="This request is now ${escapeHtml(item.status)}.">
${approvalCard(item, { headingLevel: 2, linkToDetail: false, csrf: csrfToken(session, item.id) })}
</div>`,
      });
    }
    if (ctx.method !== 'POST' || action === undefined) {
      ctx.set('Allow', action === undefined ? 'GET' : 'POST');
      ctx.status = 405;
      return;
    }
    const form = await readForm(ctx.req);
    if (!options.csrf.verify(form.csrf, session.uid, item.id)) {
      return problem(ctx, 403, 'The form expired or did not come from this page.');
    }
    try {
      if (action === 'approve') {
        await approvals.approve(id, { acr: session.acr, amr: session.amr, authTime: session.authTime });
      } else {
        await approvals.deny(id);
      }
    } catch (error) {
      return problem(ctx, 409, (error as Error).message);
    }
    ctx.status = 303;
    ctx.redirect(`/inbox?done=${action === 'approve' ? 'approved' : 'denied'}`);
  };
}
