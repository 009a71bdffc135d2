import { escapeHtml } from './escape-html';
import { devPageStyles } from './styles';

/** Options of {@link renderDevPage}. */
export interface RenderDevPageOptions {
  /** The page's title: the `<h1>` and the start of `<title>`. */
  title: string;
  /** The page's content inside `<main>`, already escaped HTML. */
  body: string;
  /** Site name after the title in `<title>`; default `AgentGate dev server`. */
  siteName?: string;
  /** HTML of the site header under the banner (navigation, account), already escaped; default none. */
  header?: string;
  /** The banner on top of the page; default `Local development server — not for production`; `false` for none. */
  banner?: string | false;
  /**
   * URL of the stylesheet to link (e.g. where your server serves `devPageStyles`); default: `devPageStyles`
   * inlined in a `<style>` element (allow it with `style-src ${devPageStylesHash}`).
   */
  stylesheetHref?: string;
  /** Script URLs to load (`defer`), e.g. your own client script; default none. */
  scripts?: readonly string[];
  /** Whether the `<h1>` shows the title; default true (set false when `body` has its own `<h1>`). */
  heading?: boolean;
}

/** The banner every dev-server page carries. */
export const defaultBanner = 'Local development server — not for production';

/**
 * A complete HTML document in the dev server's look: `lang`, viewport, the stylesheet, the
 * development banner, an optional header, and `<main>` with the title as `<h1>`. It adds no inline
 * script and no inline style attribute, so it works under a strict Content-Security-Policy.
 *
 * @example
 * import { devPageStyles, renderDevPage } from '@agentgate/dev-server';
 * const html = renderDevPage({ title: 'Chat', siteName: 'AgentGate chat', body: '<p>Hello</p>' });
 */
export function renderDevPage(options: RenderDevPageOptions): string {
  const siteName = options.siteName ?? 'AgentGate dev server';
  const banner = options.banner === false ? '' : (options.banner ?? defaultBanner);
  const stylesheet =
    options.stylesheetHref === undefined
      ? `<style>${devPageStyles}</style>`
      : `<link rel="stylesheet" href="${escapeHtml(options.stylesheetHref)}">`;
  const scripts = (options.scripts ?? [])
    .map((source) => `<script src="${escapeHtml(source)}" defer></script>`)
    .join('\n');
  const header =
    banner || options.header
      ? `<header>
${banner ? `<div class="banner" role="note"><strong>${escapeHtml(banner)}</strong></div>` : ''}
${options.header ?? ''}
</header>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title)} · ${escapeHtml(siteName)}</title>
${stylesheet}
${scripts}
</head>
<body>
${header}
<main id="main">
${options.heading === false ? '' : `<h1>${escapeHtml(options.title)}</h1>`}
${options.body}
</main>
</body>
</html>`;
}
