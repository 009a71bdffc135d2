import { escapeHtml } from './escape-html';

/** How a button looks: the one main action, a destructive one, or a quiet one. */
export type ButtonVariant = 'primary' | 'danger' | 'danger-solid' | 'secondary' | 'link';

/**
 * A one-button form posting to `action` with the hidden `fields` (CSRF token included by the caller).
 * `label` and every field are escaped here.
 */
export function postButton(options: {
  action: string;
  label: string;
  variant: ButtonVariant;
  fields?: Record<string, string>;
}): string {
  const hidden = Object.entries(options.fields ?? {})
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<form method="post" action="${escapeHtml(options.action)}">${hidden}<button type="submit" class="button button-${options.variant}">${escapeHtml(options.label)}</button></form>`;
}

/** A link styled as a button. */
export function linkButton(href: string, label: string, variant: ButtonVariant, id?: string): string {
  return `<a${id ? ` id="${escapeHtml(id)}"` : ''} class="button button-${variant}" href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
}

/** A status message (`role="status"`), or an alert for errors; `text` is escaped here. */
export function notice(text: string, kind: 'info' | 'success' | 'error' = 'info'): string {
  const role = kind === 'error' ? 'alert' : 'status';
  return `<div class="notice notice-${kind}" role="${role}">${escapeHtml(text)}</div>`;
}

/** Each scope with what it lets the client do; the raw scope name stays visible in small print. */
export function scopeList(
  scopes: readonly string[],
  describe: (scope: string) => string | undefined,
  id?: string,
): string {
  const items = scopes.map((scope) => {
    const description = describe(scope);
    return description
      ? `<li><span class="scope-description">${escapeHtml(description)}</span><span class="scope-name"><code>${escapeHtml(scope)}</code></span></li>`
      : `<li><code>${escapeHtml(scope)}</code></li>`;
  });
  return `<ul class="scopes"${id ? ` id="${escapeHtml(id)}"` : ''}>${items.join('')}</ul>`;
}

/** A coloured status word (pending, approved, denied, expired). */
export function statusBadge(status: string): string {
  const words: Record<string, string> = {
    pending: 'Waiting for you',
    approved: 'Approved',
    denied: 'Denied',
    expired: 'Expired',
  };
  return `<span class="badge badge-${escapeHtml(status)}">${escapeHtml(words[status] ?? status)}</span>`;
}
