import type { Context, Next } from 'koa';
import type { CsrfTokens } from '../../internal/csrf';
import { safeReturnTo } from '../../internal/page-sign-in';
import { notice, postButton, scopeList } from '../../internal/pages/components';
import { escapeHtml } from '../../internal/pages/escape-html';
import { pageSiteOf } from '../../internal/pages/page-state';
import { builtInScopeDescriptions } from '../../internal/pages/scope-descriptions';
import { sendDevPage } from '../../internal/pages/send-dev-page';
import { parseScopes, readForm, sendJson } from './http';
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
  variant: 'primary' | 'secondary' = 'primary',
): string {
  return postButton({
    action: `/connections/${connection}/connect`,
    label,
    variant,
    fields: { csrf, scopes: scopes.join(' '), return_to: returnTo },
  });
}

interface ConnectionView {
  name: string;
  displayName: string;
  scopes: readonly string[];
  connected: boolean;
  grantedScopes: readonly string[];
  csrf: string;
}

/** One connection as a card: what the agent can do (or could), more scopes, and a confirmed Disconnect. */
function connectionCard(connection: ConnectionView, describe: (scope: string) => string | undefined): string {
  const name = escapeHtml(connection.name);
  const titleId = `connection-${name}-title`;
  const missing = connection.scopes.filter((scope) => !connection.grantedScopes.includes(scope));
  const title = `<h2 class="card-title" id="${titleId}">${escapeHtml(connection.displayName)} <span class="badge ${connection.connected ? 'badge-approved">Connected' : 'badge-expired">Not connected'}</span></h2>`;
  if (!connection.connected) {
    return `<article class="card stack connection" data-connection="${name}" aria-labelledby="${titleId}">${title}
<p>Connecting lets agents, acting for you:</p>
${scopeList(connection.scopes, describe)}
<div class="actions">${connectForm(connection.name, connection.scopes, connection.csrf, `Connect ${connection.displayName}`)}</div>
</article>`;
  }
  const more = missing.length
    ? `<p>Not granted yet:</p>${scopeList(missing, describe)}
<div class="actions">${connectForm(connection.name, connection.scopes, connection.csrf, 'Grant these too', '/connections', 'secondary')}</div>`
    : '';
  return `<article class="card stack connection" data-connection="${name}" aria-labelledby="${titleId}">${title}
<p>Agents acting for you can:</p>
${scopeList(connection.grantedScopes, describe)}
<p class="muted">Access granted: ${escapeHtml(connection.grantedScopes.join(' '))}</p>
${more}
<details class="confirm-disconnect"><summary>Disconnect ${escapeHtml(connection.displayName)}…</summary>
<p>Agents lose access to ${escapeHtml(connection.displayName)} at once; the stored grant is revoked at the provider. You can connect again later.</p>
<div class="actions">${postButton({ action: `/connections/${connection.name}/disconnect`, label: 'Yes, disconnect', variant: 'danger-solid', fields: { csrf: connection.csrf } })}</div>
</details>
</article>`;
}

function connectionsPage(
  connections: readonly ConnectionView[],
  describe: (connection: string) => (scope: string) => string | undefined,
  message: string | undefined,
): string {
  return `${message ? notice(message, 'success') : ''}
<p class="lead">Accounts at other services that agents may use for you. Agents get short-lived tokens through the token vault, never your password.</p>
${connections.map((connection) => connectionCard(connection, describe(connection.name))).join('')}`;
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
  /** A page with a message and a way on (escaped here). */
  const messagePage = (ctx: Context, status: number, title: string, message: string, extra = '') =>
    sendDevPage(ctx, status, {
      title,
      section: 'connections',
      body: `<p class="${status >= 400 ? 'notice notice-error' : 'lead'}"${status >= 400 ? ' role="alert"' : ''}>${escapeHtml(message)}</p>
${extra || '<p><a id="connections" href="/connections">Back to your connections</a></p>'}`,
    });

  return async function connectionsMiddleware(ctx: Context, next: Next): Promise<void> {
    const match = ROUTE.exec(ctx.path);
    if (!match) {
      return next();
    }
    const [, connection, action] = match;
    const describeFor = (name: string | undefined) => (scope: string) =>
      pageSiteOf(ctx)?.describeScope(scope, name) ?? builtInScopeDescriptions[scope];
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
      return messagePage(
        ctx,
        401,
        'Sign in required',
        'Your session ended before the form was sent. Sign in, then try again from your connections.',
        signInUrl
          ? `<p><a id="sign-in" href="${escapeHtml(signInUrl('/connections'))}">Sign in</a></p>`
          : '<p><a href="/">Go to the home page</a></p>',
      );
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
      const query = new URLSearchParams(ctx.querystring);
      const named = (key: string) => core.connections.get(query.get(key) ?? '')?.displayName;
      const connectedName = named('connected');
      const disconnectedName = named('disconnected');
      const message = connectedName
        ? `${connectedName} is connected.`
        : disconnectedName
          ? `${disconnectedName} is disconnected. Its grant was revoked.`
          : undefined;
      return sendDevPage(ctx, 200, {
        title: 'Connected accounts',
        section: 'connections',
        body: connectionsPage(connections, describeFor, message),
      });
    }
    const definition = core.connections.get(connection);
    if (!definition) {
      return messagePage(ctx, 404, 'Unknown connection', `There is no connection named ${connection}.`);
    }
    const forbidden = () =>
      wantsJson(ctx)
        ? sendJson(ctx, 403, { error: 'invalid_request', error_description: 'missing or invalid csrf token' })
        : messagePage(ctx, 403, 'Request refused', 'The form expired or did not come from this page.');

    if (action === 'connect' && ctx.method === 'GET') {
      // A connect link (e.g. a CONNECTION_REQUIRED interrupt's connectUrl): the user confirms with a POST.
      const query = new URLSearchParams(ctx.querystring);
      const requested = requestedScopes(definition, query.get('scopes') ?? query.get('scope'));
      if ('unknown' in requested) return refuseUnknownScopes(ctx, definition, requested.unknown);
      const returnTo = safeReturnTo(query.get('return_to'));
      const agent = await pageSiteOf(ctx)?.clientName(query.get('client_id') ?? '');
      const granted = core.store.get(user.sub, connection)?.scopes ?? [];
      const form = connectForm(
        connection,
        requested,
        csrf.token(user.sessionId, csrfPurpose(connection)),
        `Connect ${definition.displayName}`,
        returnTo ?? '',
      );
      return sendDevPage(ctx, 200, {
        title: `Connect ${definition.displayName}?`,
        section: 'connections',
        body: `<p class="lead">${agent ? `<strong id="agent-name">${escapeHtml(agent)}</strong> asks` : 'An agent asks'} to use your ${escapeHtml(definition.displayName)} account for you.${
          // Only the link names the agent (`client_id`): say so rather than vouch for it.
          agent
            ? ' <span class="muted" id="agent-named-by-link">(as the link says; who sent it is not verified)</span>'
            : ''
        }</p>
<div class="card stack">
<h2 class="card-title">It will be able to</h2>
${scopeList(requested, describeFor(connection))}
${granted.length ? `<p class="muted">Already granted: ${escapeHtml(granted.join(' '))}. Connecting keeps those and adds the rest.</p>` : ''}
<p class="muted">Allow access to ${escapeHtml(definition.displayName)} with: ${escapeHtml(requested.join(' '))}</p>
<p class="muted">You go to ${escapeHtml(definition.displayName)} (a mock provider on this dev server) to allow it, then come back.</p>
<div class="actions">${form}
<a id="cancel" class="button button-secondary" href="${escapeHtml(returnTo ?? '/connections')}">Cancel</a></div>
</div>`,
      });
    }

    if ((action === 'connect' || action === 'disconnect') && ctx.method === 'POST') {
      const form = await readForm(ctx);
      if (!csrf.verify(form.get('csrf'), user.sessionId, csrfPurpose(connection))) {
        return forbidden();
      }
      if (action === 'disconnect') {
        const disconnected = await core.disconnect(user.sub, connection);
        if (wantsJson(ctx)) return sendJson(ctx, 200, { connection, disconnected });
        // Post/redirect/get: reloading the result page never posts again.
        ctx.status = 303;
        ctx.redirect(`/connections?${new URLSearchParams({ disconnected: connection })}`);
        return;
      }
      const requested = requestedScopes(definition, form.get('scopes') ?? form.get('scope'));
      if ('unknown' in requested) return refuseUnknownScopes(ctx, definition, requested.unknown);
      const target = core.beginConnect(user, connection, requested, safeReturnTo(form.get('return_to')));
      ctx.status = 303;
      ctx.redirect(target.href);
      return;
    }

    if (action === 'callback' && ctx.method === 'GET') {
      const connectionsResult = `/connections?${new URLSearchParams({ connected: connection })}`;
      try {
        const callbackUrl = new URL(`${core.baseUrl()}${ctx.path}?${ctx.querystring}`);
        const { record, returnTo } = await core.finishConnect(user, connection, callbackUrl);
        if (wantsJson(ctx)) {
          if (returnTo) {
            ctx.redirect(`${core.baseUrl()}${returnTo}`);
            return;
          }
          return sendJson(ctx, 200, { connection, sub: user.sub, scopes: record.scopes });
        }
        // Post/redirect/get: the callback URL is used once; the page the browser lands on survives reloads.
        ctx.status = 303;
        ctx.redirect(
          `${core.baseUrl()}${!returnTo || new URL(returnTo, 'http://x').pathname === '/connections' ? connectionsResult : returnTo}`,
        );
        return;
      } catch (error) {
        const message =
          error instanceof ConnectFailed ? error.message : 'the provider rejected the authorization code';
        if (wantsJson(ctx)) {
          return sendJson(ctx, 400, { error: 'connect_failed', error_description: message });
        }
        if (!new URLSearchParams(ctx.querystring).has('error') && core.store.get(user.sub, connection)) {
          // A reload or a second visit of a callback that already did its work: the account is connected.
          ctx.status = 303;
          ctx.redirect(`${core.baseUrl()}${connectionsResult}`);
          return;
        }
        return messagePage(
          ctx,
          400,
          'Connection failed',
          `${definition.displayName} was not connected: ${message}.`,
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

function refuseUnknownScopes(
  ctx: Context,
  definition: { displayName: string },
  unknown: string[],
): Promise<void> {
  return sendDevPage(ctx, 400, {
    title: 'Unknown scopes',
    section: 'connections',
    body: `<p class="notice notice-error" role="alert">${escapeHtml(`${definition.displayName} has no scope ${unknown.join(', ')}.`)}</p>
<p><a href="/connections">Back to your connections</a></p>`,
  });
}
