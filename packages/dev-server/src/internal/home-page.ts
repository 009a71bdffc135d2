import type { Middleware } from 'koa';
import type { DevConnection } from '../types';
import { notice } from './pages/components';
import { escapeHtml } from './pages/escape-html';
import { sendDevPage } from './pages/send-dev-page';

/**
 * `GET /`: what a browser finds at the issuer URL — links to the approval inbox, the connections page
 * and each connection's connect link, and the discovery document. It shows no user data beyond the
 * header's "signed in as".
 */
export function createHomePage(options: { connections: readonly DevConnection[] }): Middleware {
  const connectLinks = options.connections
    .map(
      (connection) =>
        `<li><a href="/connections/${escapeHtml(connection.name)}/connect">Connect ${escapeHtml(connection.displayName)}</a></li>`,
    )
    .join('');
  const body = `<p class="lead">The identity provider, approval inbox and token vault AgentGate talks to while you develop.</p>
<div class="card">
<h2 class="card-title">For you</h2>
<ul class="list link-list">
<li><a id="inbox" href="/inbox">Approval inbox</a><span class="link-hint">Approve or deny what agents ask you</span></li>
<li><a id="connections" href="/connections">Connected accounts</a><span class="link-hint">Accounts at other services that agents may use for you</span></li>
${connectLinks}
</ul>
</div>
<div class="card">
<h2 class="card-title">For developers</h2>
<ul class="list link-list">
<li><a href="/.well-known/openid-configuration">OpenID Provider discovery</a></li>
</ul>
</div>`;
  return async (ctx, next) => {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const signedOut = ctx.query.signed_out === '1' ? notice('You are signed out.', 'success') : '';
    await sendDevPage(ctx, 200, {
      title: 'AgentGate dev server',
      section: 'home',
      body: `${signedOut}${body}`,
    });
  };
}
