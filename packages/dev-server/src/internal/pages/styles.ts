import { createHash } from 'node:crypto';

/**
 * The stylesheet of every dev-server page, phone first: readable at 390 px, 44 px touch targets,
 * visible focus, WCAG AA contrast. Plain CSS, no external assets; served by the dev server at `/assets/agentgate-dev.css`.
 *
 * Building blocks (class names): `banner`, `site-header`, `site-nav`, `card`, `stack`, `actions`,
 * `button` with `button-primary` / `button-danger` / `button-secondary`, `badge` with `badge-pending` /
 * `badge-approved` / `badge-denied` / `badge-expired`, `label`, `verified`, `agent-words`, `amount`,
 * `notice` / `notice-error`, `muted`, `field`, `scopes`, `visually-hidden`.
 */
export const devPageStyles = `:root{--text:#1b1f27;--muted:#4b5563;--bg:#f4f5f7;--surface:#fff;--border:#cfd4dc;--primary:#1d4ed8;--primary-hover:#1e40af;--danger:#b91c1c;--danger-hover:#991b1b;--focus:#f59e0b;--radius:10px;color-scheme:light}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:1rem;line-height:1.5;color:var(--text);background:var(--bg)}
a{color:var(--primary);text-underline-offset:.15em}
a:hover{color:var(--primary-hover)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.visually-hidden{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.banner{background:#fef3c7;color:#713f12;border-bottom:1px solid #f59e0b;padding:.5rem 1rem;font-size:.9375rem;text-align:center}
.site-header{background:var(--surface);border-bottom:1px solid var(--border)}
.site-header-inner{max-width:44rem;margin:0 auto;padding:.25rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem}
.brand{font-weight:700;color:var(--text);text-decoration:none;display:inline-flex;align-items:center;min-height:44px;margin-right:auto}
.site-nav{display:flex;flex-wrap:wrap;gap:0 .25rem;order:3;flex-basis:100%;margin-left:-.5rem}
.site-nav a,.account a{display:inline-flex;align-items:center;min-height:44px;padding:0 .5rem;border-radius:6px}
.site-nav a[aria-current="page"]{font-weight:700;color:var(--text);text-decoration-thickness:3px}
.account{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem;color:var(--muted);font-size:.9375rem}
.account form{margin:0}
main{max-width:44rem;margin:0 auto;padding:1.25rem 1rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 0 1rem}
h2{font-size:1.125rem;line-height:1.3;margin:1.75rem 0 .75rem}
h3{font-size:1rem;margin:0 0 .5rem}
p{margin:.5rem 0}
.lead{font-size:1.0625rem}
.muted{color:var(--muted);font-size:.9375rem}
.card{background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(16,24,40,.06)}
.card>:first-child{margin-top:0}.card>:last-child{margin-bottom:0}
.card-title{font-size:1.0625rem;margin:0 0 .5rem}
.card-title a{color:inherit}
.stack>*+*{margin-top:.75rem}
.label{display:block;font-size:.8125rem;font-weight:700;letter-spacing:.02em;text-transform:uppercase;color:var(--muted);margin:0 0 .25rem}
.verified{border-left:4px solid #15803d;background:#f0fdf4;padding:.625rem .75rem;border-radius:0 6px 6px 0}
.verified .label{color:#166534}
.agent-words{border-left:4px solid #9ca3af;background:#f9fafb;padding:.625rem .75rem;border-radius:0 6px 6px 0}
.agent-words blockquote{margin:0;font-style:italic}
.amount{font-size:1.75rem;font-weight:700;line-height:1.2;margin:.25rem 0;font-variant-numeric:tabular-nums}
.summary{font-weight:600}
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1rem;color:var(--muted);font-size:.9375rem}
.badge{display:inline-block;border-radius:999px;padding:.125rem .625rem;font-size:.8125rem;font-weight:700;vertical-align:middle}
.badge-pending{background:#dbeafe;color:#1e3a8a}.badge-approved{background:#dcfce7;color:#14532d}
.badge-denied{background:#fee2e2;color:#7f1d1d}.badge-expired{background:#e5e7eb;color:#1f2937}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
.actions form{margin:0;flex:1 1 10rem}
.actions form .button,.actions>.button{width:100%}
.button,button{font:inherit;font-weight:600;display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px;padding:.5rem 1.125rem;border-radius:8px;border:2px solid var(--border);background:var(--surface);color:var(--text);cursor:pointer;text-decoration:none;line-height:1.2}
.button:hover,button:hover{border-color:#9aa3af}
.button-primary{background:var(--primary);border-color:var(--primary);color:#fff}
.button-primary:hover{background:var(--primary-hover);border-color:var(--primary-hover);color:#fff}
.button-danger{background:var(--surface);border-color:var(--danger);color:var(--danger)}
.button-danger:hover{background:var(--danger);border-color:var(--danger);color:#fff}
.button-danger-solid{background:var(--danger);border-color:var(--danger);color:#fff}
.button-danger-solid:hover{background:var(--danger-hover);border-color:var(--danger-hover)}
.button-secondary{background:var(--surface);border-color:var(--border);color:var(--text)}
.button-link{border-color:transparent;background:transparent;color:var(--primary);text-decoration:underline;padding:.5rem}
.notice{border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;background:#eff6ff;border:1px solid #bfdbfe;color:#1e3a8a}
.notice-success{background:#f0fdf4;border-color:#bbf7d0;color:#14532d}
.notice-error,.error{color:#7f1d1d}
.notice-error{background:#fef2f2;border-color:#fecaca}
.field{margin:0 0 1rem}
.field label{display:block;font-weight:600;margin:0 0 .25rem}
.field .hint{display:block;color:var(--muted);font-size:.875rem;margin:.125rem 0 .25rem}
input[type=text],input[type=password],input[type=email],input[type=search],textarea{font:inherit;width:100%;min-height:44px;padding:.5rem .75rem;border:2px solid #8b95a5;border-radius:8px;background:#fff;color:var(--text)}
input:focus-visible,textarea:focus-visible{border-color:var(--primary)}
.scopes{list-style:none;padding:0;margin:.5rem 0}
.scopes li{padding:.5rem 0;border-top:1px solid #e5e7eb}
.scopes li:first-child{border-top:0}
.scopes code,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem;background:#eef0f3;border-radius:4px;padding:.0625rem .3125rem;overflow-wrap:anywhere}
.scopes .scope-name{display:block;color:var(--muted);font-size:.875rem}
details{margin:.75rem 0 0}
summary{cursor:pointer;min-height:44px;display:flex;align-items:center;color:var(--primary);font-weight:600}
pre{background:#eef0f3;padding:.75rem;border-radius:6px;overflow:auto;font-size:.8125rem;margin:.25rem 0 0}
.list{list-style:none;padding:0;margin:0}
.list>li{margin:0}
.link-list a{display:inline-flex;align-items:center;min-height:44px}
.link-hint{display:block;color:var(--muted);font-size:.9375rem;margin:-.375rem 0 .375rem}
@media (min-width:40rem){.brand{margin-right:0}.site-nav{order:0;flex-basis:auto;margin:0 auto 0 0}main{padding-top:2rem}h1{font-size:1.75rem}.actions form{flex:0 1 auto}.actions form .button,.actions>.button{width:auto;min-width:9rem}}
@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto!important;transition:none!important}}
`;

/** Where the dev server serves {@link devPageStyles}. */
export const devPageStylesPath = '/assets/agentgate-dev.css';

/**
 * The CSP source for {@link devPageStyles} inlined in a `<style>` element (`'sha256-…'`), for apps that
 * inline it instead of linking it: `style-src 'self' ${devPageStylesHash}`.
 */
export const devPageStylesHash = `'sha256-${createHash('sha256').update(devPageStyles).digest('base64')}'`;
