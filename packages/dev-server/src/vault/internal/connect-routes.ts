import type { Context, Next } from 'koa';
import type { CsrfTokens } from '../../internal/csrf';
import { safeReturnTo } from '../../internal/page-sign-in';
import { escapeHtml, parseScopes, readForm, sendHtml, sendJson, sendPage } from './http';
import { ConnectFailed, type VaultCore } from './vault-core';

const ROUTE = /^\/connections(?:\/([a-z0-9][a-z0-9-]*)\/(connect|callback|disconnect))?$/;

function wantsJson(ctx: Context): boolean {
  return ctx.accepts('html', 'json') === 'json';
}

/** What the connect and disconnect forms of one connection carry to prove they came from this page. */
const csrfPurpose = (connection: string) => `connections:${connection}`;

/** The connect form: posting it (with the session's CSRF token) starts the connect flow. */
function connectForm(
  connection: string,
  scopes: readonly string[],
  csrf: string,
  label: string,
  returnTo = '/connections',
): string {
  return `<form method="post" action="/connections/${escapeHtml(connection)}/connect">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="scopes" value="${escapeHtml(scopes.join(' '))}">
<input type="hidden" name="return_to" value="${escapeHtml(returnTo)}"><button type="submit">${escapeHtml(label)}</button></form>`;
}

function connectionsPage(
  connections: readonly {
    name: string;
    displayName: string;
    scopes: readonly string[];
    connected: boolean;
    grantedScopes: readonly string[];
    csrf: string;
  }[],
): string {
  const rows = connections.map((connection) => {
    const name = escapeHtml(connection.name);
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(connection.csrf)}">`;
    const connect = (label: string) =>
      connectForm(connection.name, connection.scopes, connection.csrf, label);
    const action = connection.connected
      ? `granted: ${escapeHtml(connection.grantedScopes.join(' '))}
${connect('Add scopes')}
<form method="post" action="/connections/${name}/disconnect">${csrf}<button type="submit">Disconnect</button></form>`
      : connect('Connect');
    return `<li><strong>${escapeHtml(connection.displayName)}</strong> (${name}) ${action}</li>`;
  });
  return `<ul>${rows.join('')}</ul>`;
}

/**
 * Koa middleware for the signed-in user's connected accounts:
 * - `GET  /connections`                          the user's connections (HTML page, or JSON), each with its `csrf` token
 * - `GET  /connections/:connection/connect`      `?scopes=a b[&return_to=/path]`: a page asking the user to confirm (a connect link)
 * - `POST /connections/:connection/connect`      form: `csrf`, `scopes=a b` (or `scope`), optional `return_to=/path`
 * - `GET  /connections/:connection/callback`     the external provider's redirect back
 * - `POST /connections/:connection/disconnect`   form: `csrf`; revoke at the provider and forget
 *
 * Both state-changing routes are POSTs that must carry the CSRF token of the user's session (another
 * site cannot read or compute it). `GET …/connect` changes nothing: a link alone must never widen scopes.
 */
export function connectRoutes(
  core: VaultCore,
  csrf: CsrfTokens,
  signInUrl: ((returnTo: string) => string) | undefined,
) {
  return async function connectionsMiddleware(ctx: Context, next: Next): Promise<void> {
    const match = ROUTE.exec(ctx.path);
    if (!match) {
      return next();
    }
    const [, connection, action] = match;
    const user = await core.currentUser(ctx);
    if (!user) {
      if (wantsJson(ctx)) {
        return sendJson(ctx, 401, { error: 'login_required', error_description: 'sign in first' });
      }
      if (signInUrl && ctx.method === 'GET') {
        // A browser opening a connect link: sign in, then come back to this very page.
        ctx.redirect(signInUrl(ctx.url));
        return;
      }
      // A form posted without a session (e.g. it expired): sign in and start again from the page.
      return signInUrl
        ? sendHtml(
            ctx,
            401,
            'Sign in required',
            `<p>Sign in to the AgentGate dev server first.</p><p><a id="sign-in" href="${escapeHtml(signInUrl('/connections'))}">Sign in</a></p>`,
          )
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
          csrf: csrf.token(user.sessionId, csrfPurpose(definition.name)),
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
    const forbidden = () =>
      wantsJson(ctx)
        ? sendJson(ctx, 403, { error: 'invalid_request', error_description: 'missing or invalid csrf token' })
        : sendPage(ctx, 403, 'Request refused', 'The form expired or did not come from this page.');

    if (action === 'connect' && ctx.method === 'GET') {
      // A connect link (e.g. a CONNECTION_REQUIRED interrupt's connectUrl): the user confirms with a POST.
      const query = new URLSearchParams(ctx.querystring);
      const requested = requestedScopes(definition, query.get('scopes') ?? query.get('scope'));
      if ('unknown' in requested) return refuseUnknownScopes(ctx, definition, requested.unknown);
      const form = connectForm(
        connection,
        requested,
        csrf.token(user.sessionId, csrfPurpose(connection)),
        `Connect ${definition.displayName}`,
        safeReturnTo(query.get('return_to')) ?? '',
      );
      return sendHtml(
        ctx,
        200,
        `Connect ${definition.displayName}`,
        `<p>Allow access to ${escapeHtml(definition.displayName)} with: ${escapeHtml(requested.join(' '))}</p>${form}`,
      );
    }

    if ((action === 'connect' || action === 'disconnect') && ctx.method === 'POST') {
      const form = await readForm(ctx);
      if (!csrf.verify(form.get('csrf'), user.sessionId, csrfPurpose(connection))) {
        return forbidden();
      }
      if (action === 'disconnect') {
        const disconnected = await core.disconnect(user.sub, connection);
        return wantsJson(ctx)
          ? sendJson(ctx, 200, { connection, disconnected })
          : sendPage(ctx, 200, `${definition.displayName} disconnected`, 'The stored grant was revoked.');
      }
      const requested = requestedScopes(definition, form.get('scopes') ?? form.get('scope'));
      if ('unknown' in requested) return refuseUnknownScopes(ctx, definition, requested.unknown);
      const target = core.beginConnect(user, connection, requested, safeReturnTo(form.get('return_to')));
      ctx.status = 303;
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
          : sendHtml(
              ctx,
              400,
              'Connection failed',
              `<p>${escapeHtml(message)}</p><p><a id="connections" href="/connections">Back to your connections</a></p>`,
            );
      }
    }

    ctx.set('Allow', action === 'callback' ? 'GET' : 'POST');
    ctx.status = 405;
  };
}

/** The scopes a connect request asks for (all of the connection's when it names none), or those it does not offer. */
function requestedScopes(
  definition: { scopes: readonly string[] },
  raw: string | null,
): string[] | { unknown: string[] } {
  const scopes = parseScopes(raw);
  const unknown = scopes.filter((scope) => !definition.scopes.includes(scope));
  if (unknown.length > 0) return { unknown };
  return scopes.length > 0 ? scopes : [...definition.scopes];
}

function refuseUnknownScopes(ctx: Context, definition: { displayName: string }, unknown: string[]): void {
  sendPage(ctx, 400, 'Unknown scopes', `${definition.displayName} has no scope ${unknown.join(', ')}.`);
}
