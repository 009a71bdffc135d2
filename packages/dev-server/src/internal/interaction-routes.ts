import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountDirectory } from './accounts';
import { parseAuthorizationDetails } from './authorization-details';
import type { Lockout, LoginThrottle } from './login-throttle';
import { pagesClientId } from './page-sign-in';
import { scopeList } from './pages/components';
import { detailSections, summarizeDetail } from './pages/detail-summary';
import { escapeHtml } from './pages/escape-html';
import { pageSiteOf } from './pages/page-state';
import { builtInScopeDescriptions } from './pages/scope-descriptions';
import { sendDevPage } from './pages/send-dev-page';
import { loa1, loa2 } from './provider-config';
import { readForm } from './read-body';

const pathPattern = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/;

function requestsLoa2(params: Record<string, unknown>): boolean {
  return typeof params.acr_values === 'string' && params.acr_values.split(' ').includes(loa2);
}

/** The login page's error; a lockout names its reason (and the address) for scripted clients too. */
function errorParagraph(error: LoginPageOptions['error']): string {
  if (error === undefined) return '';
  if (typeof error === 'string')
    return `<p class="notice notice-error" role="alert">${escapeHtml(error)}</p>`;
  return `<p class="notice notice-error" role="alert" id="lockout" data-reason="${error.lockout.reason}" data-address="${escapeHtml(error.address)}">${escapeHtml(error.message)}</p>`;
}

interface LoginPageOptions {
  uid: string;
  params: Record<string, unknown>;
  clientName: string;
  otpCode: string;
  /** What the person typed before (kept after a wrong password); default the request's `login_hint`. */
  username?: string;
  error?: string | { message: string; lockout: Lockout; address: string };
}

function loginPage(options: LoginPageOptions): { title: string; body: string } {
  const { uid, params } = options;
  const otpRequired = requestsLoa2(params);
  const loginHint = typeof params.login_hint === 'string' ? params.login_hint : '';
  const username = options.username ?? loginHint;
  const focus = (field: 'username' | 'password') =>
    (field === 'username') === (username === '') ? ' autofocus' : '';
  return {
    title: 'Sign in',
    body: `<p class="lead">Sign in to continue to <strong id="client-name">${escapeHtml(options.clientName)}</strong>.</p>
${errorParagraph(options.error)}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" class="card" autocomplete="off">
<div class="field"><label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(username)}" autocomplete="username" autocapitalize="none" spellcheck="false" required${focus('username')}></div>
<div class="field"><label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${focus('password')}></div>
<div class="field"><label for="otp">One-time code${otpRequired ? ' (required for this request)' : ' (optional second factor)'}</label>
<span class="hint" id="otp-hint">Dev server: the one-time code is ${escapeHtml(options.otpCode)}.</span>
<input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" aria-describedby="otp-hint"${otpRequired ? ' required' : ''}></div>
<div class="actions"><button type="submit" id="sign-in" class="button button-primary">Sign in</button>
<button type="submit" id="cancel" form="abort" class="button button-secondary" formnovalidate>Cancel</button></div>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort" id="abort"></form>`,
  };
}

function consentPage(
  uid: string,
  clientName: string,
  details: Record<string, unknown>,
  params: Record<string, unknown>,
  describe: (scope: string) => string | undefined,
): { title: string; body: string } {
  const scopes = [
    ...((details.missingOIDCScope as string[] | undefined) ?? []),
    ...Object.values((details.missingResourceScopes as Record<string, string[]> | undefined) ?? {}).flat(),
  ];
  const authorizationDetails = parseAuthorizationDetails(params.authorization_details);
  return {
    title: 'Allow access?',
    body: `<p class="lead"><strong id="client-name">${escapeHtml(clientName)}</strong> asks for access to your account.</p>
<div class="card stack">
${scopes.length ? `<h2 class="card-title">It will be able to</h2>${scopeList(scopes, describe, 'scopes')}` : ''}
${authorizationDetails.map((detail) => detailSections(summarizeDetail(detail), 'And to do exactly this')).join('')}
<div class="actions"><button type="submit" form="confirm" id="allow" class="button button-primary">Allow</button>
<button type="submit" form="abort" id="deny" class="button button-secondary">Deny</button></div>
</div>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm" id="confirm"></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort" id="abort"></form>`,
  };
}

/** The login and consent pages oidc-provider sends users to (`/interaction/:uid`). */
export function createInteractionRoutes(options: {
  provider: () => Provider;
  accounts: AccountDirectory;
  clientNames: Map<string, string>;
  otpCode: string;
  /** Slows down password guessing; undefined when the server was started with `loginThrottle: false`. */
  throttle: LoginThrottle | undefined;
}): Middleware {
  return async (ctx, next) => {
    const match = pathPattern.exec(ctx.path);
    if (!match) return next();
    const [, uid = '', action] = match;
    const provider = options.provider();
    // Mid sign-in: no navigation, and forms may end at the client's redirect_uri (another origin).
    const show = (status: number, content: { title: string; body: string }) =>
      sendDevPage(ctx, status, { ...content, navigation: false, formsStayOnSite: false });

    let interaction: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      return show(400, {
        title: 'Sign in',
        body: '<p class="notice notice-error" role="alert">This sign-in request has expired or is unknown.</p><p><a id="start-again" href="/">Start again</a></p>',
      });
    }
    if (interaction.uid !== uid) {
      ctx.status = 400;
      ctx.body = 'interaction mismatch';
      return;
    }
    const params = interaction.params as Record<string, unknown>;
    const clientId = String(params.client_id ?? '');
    const site = pageSiteOf(ctx);
    const clientName =
      (await site?.clientName(clientId)) ?? options.clientNames.get(clientId) ?? 'an application';

    // The server's own pages (inbox, connections) are part of this server: they need no consent screen.
    const autoConsent =
      ctx.method === 'GET' &&
      action === undefined &&
      interaction.prompt.name === 'consent' &&
      clientId === pagesClientId;
    if (ctx.method === 'GET' && action === undefined && !autoConsent) {
      return show(
        200,
        interaction.prompt.name === 'login'
          ? loginPage({ uid, params, clientName, otpCode: options.otpCode })
          : consentPage(
              uid,
              clientName,
              interaction.prompt.details as Record<string, unknown>,
              params,
              (scope) => site?.describeScope(scope) ?? builtInScopeDescriptions[scope],
            ),
      );
    }
    if (!autoConsent && (ctx.method !== 'POST' || action === undefined)) {
      ctx.status = 405;
      return;
    }

    if (action === 'abort') {
      const returnTo = await provider.interactionResult(
        ctx.req,
        ctx.res,
        { error: 'access_denied', error_description: 'the end-user cancelled the request' },
        { mergeWithLastSubmission: false },
      );
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }

    if (action === 'login') {
      if (interaction.prompt.name !== 'login') {
        ctx.status = 400;
        return;
      }
      const form = await readForm(ctx.req);
      const username = form.username ?? '';
      const lockout = options.throttle?.lockout(username, ctx.ip);
      if (lockout) {
        // Refused before the password is even compared: a lockout must not confirm a guess.
        ctx.set('Retry-After', String(lockout.retryAfterSeconds));
        return show(
          429,
          loginPage({
            uid,
            params,
            clientName,
            otpCode: options.otpCode,
            username,
            error: {
              message:
                lockout.reason === 'address'
                  ? `Too many failed sign-in attempts from this client address (${ctx.ip}), whichever the account. Try again in ${lockout.retryAfterSeconds} seconds.`
                  : `Too many failed sign-in attempts for this account. Try again in ${lockout.retryAfterSeconds} seconds.`,
              lockout,
              address: ctx.ip,
            },
          }),
        );
      }
      const user = options.accounts.verify(username, form.password ?? '');
      if (user) options.throttle?.recordSuccess(username);
      else options.throttle?.recordFailure(username, ctx.ip);
      const otp = (form.otp ?? '').trim();
      let error: string | undefined;
      if (!user) error = 'Unknown username or wrong password.';
      else if (otp.length > 0 && otp !== options.otpCode) error = 'Wrong one-time code.';
      else if (requestsLoa2(params) && otp.length === 0) error = 'This request needs the one-time code.';
      if (error || !user) {
        return show(
          401,
          loginPage({
            uid,
            params,
            clientName,
            otpCode: options.otpCode,
            username,
            ...(error ? { error } : {}),
          }),
        );
      }
      const secondFactor = otp.length > 0;
      const returnTo = await provider.interactionResult(
        ctx.req,
        ctx.res,
        {
          login: {
            accountId: user.sub,
            acr: secondFactor ? loa2 : loa1,
            amr: secondFactor ? ['pwd', 'otp'] : ['pwd'],
            remember: true,
          },
        },
        { mergeWithLastSubmission: false },
      );
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }

    // action === 'confirm'
    if (interaction.prompt.name !== 'consent' || !interaction.session) {
      ctx.status = 400;
      return;
    }
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId: interaction.session.accountId, clientId });
    if (!grant) {
      ctx.status = 400;
      return;
    }
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    for (const detail of parseAuthorizationDetails(params.authorization_details)) {
      grant.addRar(detail as { type: string });
    }
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}
