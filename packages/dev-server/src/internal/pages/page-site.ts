import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { DevConnection } from '../../types';
import type { AccountDirectory } from '../accounts';
import type { CsrfTokens } from '../csrf';
import { signInLink } from '../page-sign-in';
import { readForm } from '../read-body';
import { devPageScript, devPageScriptPath } from './client-script';
import { type PageAccount, type PageSiteView, setPageSite, signOutPath } from './page-state';
import { builtInScopeDescriptions } from './scope-descriptions';
import { sendDevPage } from './send-dev-page';
import { devPageStyles, devPageStylesPath } from './styles';

export interface PageSiteOptions {
  provider: () => Provider;
  accounts: AccountDirectory;
  csrf: CsrfTokens;
  connections: readonly DevConnection[];
}

const signOutPurpose = 'signout';

/**
 * What every page of one dev server shares: who is signed in (for the header), what each scope
 * means, the client names, the stylesheet and script, and sign-out. Its middleware puts it on
 * `ctx.state` so route modules that do not know the server (the token vault's pages) find it.
 */
export class PageSite implements PageSiteView {
  readonly #options: PageSiteOptions;

  constructor(options: PageSiteOptions) {
    this.#options = options;
  }

  /** The signed-in account on this request, if any. */
  async account(ctx: Context): Promise<PageAccount | undefined> {
    const session = await this.#options.provider().Session.get(ctx);
    const user = session.accountId ? this.#options.accounts.bySub(session.accountId) : undefined;
    if (!user) return undefined;
    return {
      name: user.name,
      username: user.username,
      signOutCsrf: this.#options.csrf.token(session.uid, signOutPurpose),
    };
  }

  /** What `scope` lets an app do: the connection's seeded description, else a built-in one. */
  describeScope(scope: string, connection?: string): string | undefined {
    const definition = connection
      ? this.#options.connections.find((candidate) => candidate.name === connection)
      : undefined;
    return definition?.scopeDescriptions?.[scope] ?? builtInScopeDescriptions[scope];
  }

  signInLink(returnTo: string): string {
    return signInLink(returnTo);
  }

  /** The registered name of a client (seeded or dynamically registered), if it has one. */
  async clientName(clientId: string): Promise<string | undefined> {
    if (!clientId) return undefined;
    const client = await this.#options
      .provider()
      .Client.find(clientId)
      .catch(() => undefined);
    const name = (client as { clientName?: unknown } | undefined)?.clientName;
    return typeof name === 'string' && name.length > 0 ? name : undefined;
  }

  /** Serves the stylesheet and script, `POST /signout`, and puts this site on `ctx.state`. */
  readonly middleware: Middleware = async (ctx, next) => {
    setPageSite(ctx, this);
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      const asset =
        ctx.path === devPageStylesPath
          ? { type: 'text/css; charset=utf-8', body: devPageStyles }
          : ctx.path === devPageScriptPath
            ? { type: 'text/javascript; charset=utf-8', body: devPageScript }
            : undefined;
      if (asset) {
        ctx.type = asset.type;
        ctx.set('Cache-Control', 'no-cache');
        ctx.set('X-Content-Type-Options', 'nosniff');
        ctx.body = asset.body;
        return;
      }
    }
    if (ctx.path === signOutPath && ctx.method === 'POST') {
      await this.#signOut(ctx);
      return;
    }
    await next();
  };

  async #signOut(ctx: Context): Promise<void> {
    const provider = this.#options.provider();
    const session = await provider.Session.get(ctx);
    const form = await readForm(ctx.req);
    if (!session.accountId) {
      ctx.status = 303;
      ctx.redirect('/?signed_out=1');
      return;
    }
    if (!this.#options.csrf.verify(form.token, session.uid, signOutPurpose)) {
      await sendDevPage(ctx, 403, {
        title: 'Sign-out refused',
        body: '<p class="error">The form expired or did not come from this server. <a href="/">Go to the home page</a> and try again.</p>',
      });
      return;
    }
    await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null);
    ctx.status = 303;
    ctx.redirect('/?signed_out=1');
  }
}
