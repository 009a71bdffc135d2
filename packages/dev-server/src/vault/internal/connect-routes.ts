import type { Context, Next } from 'koa';
import { escapeHtml, parseScopes, sendHtml, sendJson, sendPage } from './http';
import { ConnectFailed, type VaultCore } from './vault-core';

const ROUTE = /^\/connections(?:\/([a-z0-9][a-z0-9-]*)\/(connect|callback|disconnect))?$/;

function wantsJson(ctx: Context): boolean {
  return ctx.accepts('html', 'json') === 'json';
}

/** A same-origin path to return to after connecting, or undefined (open redirects refused). */
function safeReturnTo(value: string | null): string | undefined {
  if (!value?.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return undefined;
  }
  return value;
}

function connectionsPage(
  connections: readonly {
    name: string;
    displayName: string;
    scopes: readonly string[];
    connected: boolean;
    grantedScopes: readonly string[];
  }[],
): string {
  const rows = connections.map((connection) => {
    const name = escapeHtml(connection.name);
    const all = encodeURIComponent(connection.scopes.join(' '));
    const action = connection.connected
      ? `granted: ${escapeHtml(connection.grantedScopes.join(' '))}
<a href="/connections/${name}/connect?scopes=${all}&amp;return_to=%2Fconnections">add scopes</a>
<form method="post" action="/connections/${name}/disconnect"><button type="submit">Disconnect</button></form>`
      : `<a href="/connections/${name}/connect?scopes=${all}&amp;return_to=%2Fconnections">Connect</a>`;
    return `<li><strong>${escapeHtml(connection.displayName)}</strong> (${name}) ${action}</li>`;
  });
  return `<ul>${rows.join('')}</ul>`;
}

/**
 * Koa middleware for the signed-in user's connected accounts:
 * - `GET  /connections`                          the user's connections (HTML page, or JSON)
 * - `GET  /connections/:connection/connect`      `?scopes=a b` (or `scope`), optional `return_to=/path`
 * - `GET  /connections/:connection/callback`     the external provider's redirect back
 * - `POST /connections/:connection/disconnect`   revoke at the provider and forget
 */
export function connectRoutes(core: VaultCore) {
  return async function connectionsMiddleware(ctx: Context, next: Next): Promise<void> {
    const match = ROUTE.exec(ctx.path);
    if (!match) {
      return next();
    }
    const [, connection, action] = match;
    const user = await core.currentUser(ctx);
    if (!user) {
      return wantsJson(ctx)
        ? sendJson(ctx, 401, { error: 'login_required', error_description: 'sign in first' })
        : sendPage(ctx, 401, 'Sign in required', 'Sign in to the AgentGate dev server first.');
    }
    if (!connection) {
      if (ctx.method !== 'GET') {
        ctx.status = 405;
        return;
      }
      const connections = [...core.connections.values()].map((definition) => {
        const record = core.store.get(user.sub, definition.name);
        return {
          name: definition.name,
          displayName: definition.displayName,
          scopes: definition.scopes,
          connected: record !== undefined,
          grantedScopes: record?.scopes ?? [],
        };
      });
      if (wantsJson(ctx)) {
        return sendJson(ctx, 200, { connections });
      }
      return sendHtml(ctx, 200, 'Connected accounts', connectionsPage(connections));
    }
    const definition = core.connections.get(connection);
    if (!definition) {
      return sendPage(ctx, 404, 'Unknown connection', `There is no connection named ${connection}.`);
    }
    const query = new URLSearchParams(ctx.querystring);

    if (action === 'connect' && ctx.method === 'GET') {
      const scopes = parseScopes(query.get('scopes') ?? query.get('scope'));
      const unknown = scopes.filter((scope) => !definition.scopes.includes(scope));
      if (unknown.length > 0) {
        return sendPage(
          ctx,
          400,
          'Unknown scopes',
          `${definition.displayName} has no scope ${unknown.join(', ')}.`,
        );
      }
      const requested = scopes.length > 0 ? scopes : [...definition.scopes];
      const target = core.beginConnect(user, connection, requested, safeReturnTo(query.get('return_to')));
      ctx.redirect(target.href);
      return;
    }

    if (action === 'callback' && ctx.method === 'GET') {
      try {
        const callbackUrl = new URL(`${core.baseUrl()}${ctx.path}?${ctx.querystring}`);
        const { record, returnTo } = await core.finishConnect(user, connection, callbackUrl);
        if (returnTo) {
          ctx.redirect(`${core.baseUrl()}${returnTo}`);
          return;
        }
        if (wantsJson(ctx)) {
          return sendJson(ctx, 200, { connection, sub: user.sub, scopes: record.scopes });
        }
        return sendPage(
          ctx,
          200,
          `${definition.displayName} connected`,
          `Granted scopes: ${record.scopes.join(' ')}. You can close this page.`,
        );
      } catch (error) {
        const message =
          error instanceof ConnectFailed ? error.message : 'the provider rejected the authorization code';
        return wantsJson(ctx)
          ? sendJson(ctx, 400, { error: 'connect_failed', error_description: message })
          : sendPage(ctx, 400, 'Connection failed', message);
      }
    }

    if (action === 'disconnect' && ctx.method === 'POST') {
      const disconnected = await core.disconnect(user.sub, connection);
      return wantsJson(ctx)
        ? sendJson(ctx, 200, { connection, disconnected })
        : sendPage(ctx, 200, `${definition.displayName} disconnected`, 'The stored grant was revoked.');
    }

    ctx.status = 405;
  };
}
