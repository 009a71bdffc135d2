import type { ApprovalItem } from '../../types';
import { postButton, statusBadge } from './components';
import { detailSections, summarizeDetail } from './detail-summary';
import { escapeHtml } from './escape-html';
import { expiryPhrase } from './relative-time';

/**
 * One approval request as a card: which agent asks, the server's summary of each authorization
 * detail (labelled as verified; amounts large), the agent's binding message apart and marked as its
 * own words, the expiry in relative words, and for a pending request a primary Approve and a
 * destructive Deny. Decided requests say what happened instead.
 */
export function approvalCard(
  item: ApprovalItem,
  options: { csrf?: string; headingLevel: 2 | 3; linkToDetail: boolean; nowMs?: number },
): string {
  const id = escapeHtml(item.id);
  const pending = item.status === 'pending';
  const titleId = `approval-${id}-title`;
  const heading = `h${options.headingLevel}`;
  const asks = pending ? 'asks for your approval' : 'asked for your approval';
  const agent = `<strong>${escapeHtml(item.clientName)}</strong> ${asks}`;
  const title = options.linkToDetail ? `<a href="/inbox/${id}">${agent}</a>` : agent;
  const summaries = item.authorizationDetails.map(summarizeDetail);
  const details = summaries.map((summary) => detailSections(summary, 'What you approve')).join('');
  const binding = item.bindingMessage
    ? `<section class="agent-words" aria-label="Message from the agent">
<p class="label">The agent's message · its own words, not verified</p>
<blockquote class="binding-message">“${escapeHtml(item.bindingMessage)}”</blockquote>
</section>`
    : '';
  const agentWords = binding !== '' || summaries.some((summary) => summary.agentDescription);
  const expiry = pending
    ? `<time datetime="${new Date(item.expiresAt * 1000).toISOString()}" data-expires-at="${item.expiresAt}">${escapeHtml(expiryPhrase(item.expiresAt, options.nowMs))}</time>`
    : '';
  const actions =
    pending && options.csrf
      ? `<div class="actions">
${postButton({ action: `/inbox/${item.id}/approve`, label: 'Approve', variant: 'primary', fields: { csrf: options.csrf } })}
${postButton({ action: `/inbox/${item.id}/deny`, label: 'Deny', variant: 'danger', fields: { csrf: options.csrf } })}
</div>`
      : '';
  const technical = `<details><summary>Technical details</summary>
<p class="muted">Client <code>${escapeHtml(item.clientId)}</code> · scope <code>${escapeHtml(item.scope)}</code></p>
${item.authorizationDetails.map((detail) => `<pre>${escapeHtml(JSON.stringify(detail, null, 2))}</pre>`).join('')}
</details>`;
  return `<article class="card approval stack" data-approval-id="${id}" data-status="${escapeHtml(item.status)}" aria-labelledby="${titleId}">
<${heading} class="card-title" id="${titleId}">${title}</${heading}>
<p class="meta">${statusBadge(item.status)} ${expiry}</p>
${details}
${binding}
${pending && details && agentWords ? '<p class="muted">Approve only if the agent\'s words match what the server verified.</p>' : ''}
${actions}
${technical}
</article>`;
}
