import type { Middleware } from 'koa';
import type { DevConnection } from '../types';
import { escapeHtml, page } from './html';

/**
 * `GET /`: what a browser finds at the issuer URL — links to the approval inbox, the connections page
 * and each connection's connect link, and the discovery document. It shows no user data.
 */
export function createHomePage(options: { connections: readonly DevConnection[] }): Middleware {
  const connectLinks = options.connections
    .map(
      (connection) =>
        `<li><a href="/connections/${escapeHtml(connection.name)}/connect">Connect ${escapeHtml(connection.displayName)}</a></li>`,
    )
    .join('');
  const body = `<ul>
<li><a id="inbox" href="/inbox">Approval inbox</a>: approve or deny what agents ask you</li>
<li><a id="connections" href="/connections">Connected accounts</a></li>
${connectLinks}
<li><a href="/.well-known/openid-configuration">OpenID Provider discovery</a></li>
</ul>`;
  return async (ctx, next) => {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.body = page('AgentGate dev server', body);
  };
}
