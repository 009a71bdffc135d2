import { summarizeAuthorizationDetail } from '../authorization-details';
import { escapeHtml } from './escape-html';

/** What a page shows of one authorization detail, split by who vouches for it. */
export interface DetailSummary {
  /** The server's summary of the detail's checked fields: safe to label "verified by the server". */
  verified: string;
  /** The amount of a detail that moves money (`refund`, `payment`), as `240.00 EUR`. */
  amount?: string;
  /** Free prose the agent wrote into the detail (`agent_action.summary`): its words, not verified. */
  agentDescription?: string;
}

/** Detail types whose `amount` and `currency` the server checks (see `authorizationDetailTypes`). */
const moneyTypes = new Set(['refund', 'payment']);

/**
 * Splits a detail for display. Only fields the server checks may appear under the "verified" label:
 * an `agent_action`'s `summary` is whatever the agent wrote (its tool and argument digest are what bind),
 * and an `amount` on any type but `refund`/`payment` is unchecked, so neither is shown as verified.
 */
export function summarizeDetail(detail: Record<string, unknown>): DetailSummary {
  const { amount, currency, summary } = detail;
  const agentWritten = detail.type === 'agent_action' && typeof summary === 'string' && summary.length > 0;
  const money =
    moneyTypes.has(String(detail.type)) &&
    typeof currency === 'string' &&
    (typeof amount === 'number' || typeof amount === 'string');
  return {
    verified: summarizeAuthorizationDetail(agentWritten ? { ...detail, summary: undefined } : detail),
    ...(money ? { amount: `${typeof amount === 'number' ? amount.toFixed(2) : amount} ${currency}` } : {}),
    ...(agentWritten ? { agentDescription: summarizeAuthorizationDetail(detail) } : {}),
  };
}

/**
 * A detail as page sections: the server's summary (and amount) labelled `<what> · verified by the
 * server`, then any prose the agent wrote, apart and marked as its own words.
 */
export function detailSections({ verified, amount, agentDescription }: DetailSummary, what: string): string {
  const described = agentDescription
    ? `<section class="agent-words" aria-label="The agent's description">
<p class="label">How the agent describes it · its own words, not verified</p>
<p>${escapeHtml(agentDescription)}</p>
</section>`
    : '';
  return `<section class="verified" aria-label="Verified summary">
<p class="label">${escapeHtml(what)} · verified by the server</p>
${amount ? `<p class="amount">${escapeHtml(amount)}</p>` : ''}
<p class="summary">${escapeHtml(verified)}</p>
</section>${described}`;
}
