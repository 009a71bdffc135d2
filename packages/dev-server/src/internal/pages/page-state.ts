import type { Context } from 'koa';

/** The signed-in person as the page header shows them. */
export interface PageAccount {
  name: string;
  username: string;
  /** CSRF token of the sign-out form. */
  signOutCsrf: string;
}

/** What a page handler may ask the server's page site (see `PageSite`). */
export interface PageSiteView {
  /** The signed-in account on this request, if any. */
  account(ctx: Context): Promise<PageAccount | undefined>;
  /** What `scope` lets an app do (the connection's seeded description first), if known. */
  describeScope(scope: string, connection?: string): string | undefined;
  /** The registered name of a client, if it has one. */
  clientName(clientId: string): Promise<string | undefined>;
  /** The path that signs a browser in and comes back to `returnTo`. */
  signInLink(returnTo: string): string;
}

/** `POST /signout` ends the provider session (form field `token`: the CSRF token). */
export const signOutPath = '/signout';

const stateKey = 'agentgatePageSite';

export function setPageSite(ctx: Context, site: PageSiteView): void {
  ctx.state[stateKey] = site;
}

/** The page site of the server handling `ctx`, if the request passed its middleware. */
export function pageSiteOf(ctx: Context): PageSiteView | undefined {
  return ctx.state?.[stateKey] as PageSiteView | undefined;
}
