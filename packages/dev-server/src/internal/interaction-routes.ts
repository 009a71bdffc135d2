import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountDirectory } from './accounts';
import { parseAuthorizationDetails, summarizeAuthorizationDetail } from './authorization-details';
import { escapeHtml, page } from './html';
import type { Lockout, LoginThrottle } from './login-throttle';
import { pagesClientId } from './page-sign-in';
import { loa1, loa2 } from './provider-config';
import { readForm } from './read-body';

const pathPattern = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/;

function requestsLoa2(params: Record<string, unknown>): boolean {
  return typeof params.acr_values === 'string' && params.acr_values.split(' ').includes(loa2);
}

/** The login page's error; a lockout names its reason (and the address) for scripted clients too. */
function errorParagraph(error: Parameters<typeof loginPage>[4]): string {
  if (error === undefined) return '';
  if (typeof error === 'string') return `<p class="error" role="alert">${escapeHtml(error)}</p>`;
  return `<p class="error" role="alert" id="lockout" data-reason="${error.lockout.reason}" data-address="${escapeHtml(error.address)}">${escapeHtml(error.message)}</p>`;
}

function loginPage(
  uid: string,
  params: Record<string, unknown>,
  clientName: string,
  otpCode: string,
  error?: string | { message: string; lockout: Lockout; address: string },
) {
  const otpRequired = requestsLoa2(params);
  const loginHint = typeof params.login_hint === 'string' ? params.login_hint : '';
  return page(
    'Sign in',
    `<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>.</p>
${errorParagraph(error)}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(loginHint)}" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<label for="otp">One-time code${otpRequired ? ' (required for this request)' : ' (optional second factor)'}</label>
<input type="text" id="otp" name="otp" inputmode="numeric" ${otpRequired ? 'required' : ''}>
<p class="muted">Dev server: the one-time code is ${escapeHtml(otpCode)}.</p>
<button type="submit" id="sign-in">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit" id="cancel">Cancel</button></form>`,
  );
}

function consentPage(
  uid: string,
  clientName: string,
  details: Record<string, unknown>,
  params: Record<string, unknown>,
) {
  const scopes = [
    ...((details.missingOIDCScope as string[] | undefined) ?? []),
    ...Object.values((details.missingResourceScopes as Record<string, string[]> | undefined) ?? {}).flat(),
  ];
  const authorizationDetails = parseAuthorizationDetails(params.authorization_details);
  return page(
    'Authorize access',
    `<p><strong>${escapeHtml(clientName)}</strong> asks for access to your account.</p>
${scopes.length ? `<ul id="scopes">${scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('')}</ul>` : ''}
${authorizationDetails
  .map((detail) => `<div class="card"><p>${escapeHtml(summarizeAuthorizationDetail(detail))}</p></div>`)
  .join('')}
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm"><button type="submit" id="allow">Allow</button></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit" id="deny">Deny</button></form>`,
  );
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
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Frame-Options', 'DENY');

    let interaction: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page(
        'Sign in',
        '<p class="error">This sign-in request has expired or is unknown.</p><p><a id="start-again" href="/">Start again</a></p>',
      );
      return;
    }
    if (interaction.uid !== uid) {
      ctx.status = 400;
      ctx.body = 'interaction mismatch';
      return;
    }
    const params = interaction.params as Record<string, unknown>;
    const clientId = String(params.client_id ?? '');
    const clientName = options.clientNames.get(clientId) ?? clientId;

    // The server's own pages (inbox, connections) are part of this server: they need no consent screen.
    const autoConsent =
      ctx.method === 'GET' &&
      action === undefined &&
      interaction.prompt.name === 'consent' &&
      clientId === pagesClientId;
    if (ctx.method === 'GET' && action === undefined && !autoConsent) {
      ctx.type = 'html';
      ctx.body =
        interaction.prompt.name === 'login'
          ? loginPage(uid, params, clientName, options.otpCode)
          : consentPage(uid, clientName, interaction.prompt.details as Record<string, unknown>, params);
      return;
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
        ctx.status = 429;
        ctx.set('Retry-After', String(lockout.retryAfterSeconds));
        ctx.type = 'html';
        ctx.body = loginPage(uid, params, clientName, options.otpCode, {
          message:
            lockout.reason === 'address'
              ? `Too many failed sign-in attempts from this client address (${ctx.ip}), whichever the account. Try again in ${lockout.retryAfterSeconds} seconds.`
              : `Too many failed sign-in attempts for this account. Try again in ${lockout.retryAfterSeconds} seconds.`,
          lockout,
          address: ctx.ip,
        });
        return;
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
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = loginPage(uid, params, clientName, options.otpCode, error);
        return;
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
