/**
 * How the page shows a tool part of the UI message stream: the approval card, the connect card, the note for an
 * approval waiting on the phone, denials, and quiet status lines. Built with DOM calls only (no HTML strings), so
 * nothing the model or a server wrote can become markup.
 */
import { type AgentGateToolResult, isAgentGateResult } from '@agentgate/ai-sdk/client';

export interface CardActions {
  respond(approvalId: string, approved: boolean): void;
  say(text: string): void;
  inboxUrl: string;
}

export interface ToolPartView {
  toolName: string;
  state: string;
  input: unknown;
  output: unknown;
  errorText: string | undefined;
  approval: { id: string; isAutomatic?: boolean; approved?: boolean; requestReason?: string } | undefined;
  render(actions: CardActions): HTMLElement | undefined;
}

const labels: Record<string, string> = {
  list_events: 'Reading your calendar',
  search_docs: 'Searching the documents',
  refund_order: 'Preparing the refund',
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  properties: { className?: string; text?: string } = {},
  ...children: (Node | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (properties.className) node.className = properties.className;
  if (properties.text !== undefined) node.textContent = properties.text;
  for (const child of children) if (child) node.append(child);
  return node;
}

let headingCounter = 0;

/** A card: a labelled region with a heading. */
function card(kind: string, heading: string, ...children: (Node | undefined)[]): HTMLElement {
  const id = `card-${++headingCounter}`;
  const section = element('section', { className: `card ${kind}` });
  section.setAttribute('aria-labelledby', id);
  const title = element('h3', { text: heading });
  title.id = id;
  section.append(title, ...children.filter((child): child is Node => child !== undefined));
  return section;
}

function button(text: string, className: string, onClick: () => void): HTMLButtonElement {
  const node = element('button', { className: `button ${className}`, text });
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

function link(text: string, href: string, className = 'button button-primary'): HTMLAnchorElement {
  const node = element('a', { className, text });
  node.href = href;
  node.target = '_blank';
  node.rel = 'noopener';
  return node;
}

interface RefundDetail {
  orderId: string;
  amount: number;
  currency: string;
}

/**
 * The refund the approval is for: the call's arguments as the server streamed them (the approval is bound to their
 * digest; the server's binding message is shown next to them as the request's reason).
 */
function refundOf(view: ToolPartView): RefundDetail {
  const detail = (view.input ?? {}) as Partial<RefundDetail>;
  return {
    orderId: String(detail.orderId ?? '?'),
    amount: Number(detail.amount ?? Number.NaN),
    currency: String(detail.currency ?? 'EUR'),
  };
}

/** "Refund 240.00 EUR on order 1042", as the dev server's inbox words a `refund` detail. */
export function refundSummary(refund: RefundDetail): string {
  return `Refund ${refund.amount.toFixed(2)} ${refund.currency} on order ${refund.orderId}`;
}

/** The in-app approval card for a tool-approval request. */
export function approvalCard(view: ToolPartView, actions: CardActions): HTMLElement {
  const refund = refundOf(view);
  const facts = element('dl');
  for (const [term, value] of [
    ['Order', refund.orderId],
    ['Asked by', 'the chat assistant, for you'],
  ] as const) {
    facts.append(element('dt', { text: term }), element('dd', { text: value }));
  }
  const approvalId = view.approval?.id ?? '';
  const approve = button('Approve', 'button-primary', () => decide(true));
  const deny = button('Deny', 'button-danger', () => decide(false));
  function decide(approved: boolean) {
    approve.disabled = true;
    deny.disabled = true;
    actions.respond(approvalId, approved);
  }
  return card(
    'approval',
    view.toolName === 'refund_order' ? 'Approve this refund?' : `Approve ${view.toolName}?`,
    element(
      'div',
      { className: 'verified' },
      element('span', { className: 'label', text: 'What you approve' }),
      element('p', { className: 'amount', text: `${refund.amount.toFixed(2)} ${refund.currency}` }),
      element('p', { className: 'summary', text: refundSummary(refund) }),
    ),
    view.approval?.requestReason
      ? element(
          'div',
          { className: 'agent-words' },
          element('span', { className: 'label', text: 'The assistant’s words' }),
          element('blockquote', { text: view.approval.requestReason }),
        )
      : undefined,
    facts,
    element('p', {
      className: 'muted',
      text: 'Approving lets the assistant run exactly this refund, once. Nothing happens if you deny.',
    }),
    element('div', { className: 'actions' }, approve, deny),
  );
}

function connectionName(connection: unknown): string {
  return connection === 'acme-calendar' ? 'Acme Calendar' : String(connection ?? 'the account');
}

function gateCard(
  view: ToolPartView,
  result: AgentGateToolResult['agentgate'],
  actions: CardActions,
): HTMLElement {
  const details: Record<string, unknown> = { ...result.details };
  if (result.code === 'CONNECTION_REQUIRED') {
    const name = connectionName(details.connection);
    return card(
      'connect',
      'Connect your calendar',
      element('p', {
        text: `The assistant needs read access to your ${name}. Connect it (opens a new tab), then try again.`,
      }),
      element(
        'div',
        { className: 'actions' },
        typeof details.connectUrl === 'string' ? link(`Connect ${name}`, details.connectUrl) : undefined,
        button('Try again', 'button-secondary', () => actions.say('Try again')),
      ),
    );
  }
  if (result.code === 'APPROVAL_PENDING' && details.channel === 'ciba') {
    return card(
      'phone',
      'Waiting for your approval on your phone',
      element('p', {
        text: `Your phone shows “${String(details.bindingMessage ?? view.toolName)}”. Approve or deny it there.`,
      }),
      element(
        'div',
        { className: 'actions' },
        link('Open the approval inbox', actions.inboxUrl),
        button('Check again', 'button-secondary', () => actions.say('Check again')),
      ),
    );
  }
  if (result.kind === 'interrupt') {
    return card('phone', 'Waiting for you', element('p', { text: result.message }));
  }
  return card(
    'denied',
    'Not allowed',
    element('p', { text: result.message }),
    element('p', { className: 'muted', text: `Code: ${result.code}` }),
  );
}

/** A tool part of a UI message (`tool-<name>` or `dynamic-tool`), or undefined for other parts. */
export function toolPartView(part: { type: string } & Record<string, unknown>): ToolPartView | undefined {
  let toolName: string;
  if (part.type === 'dynamic-tool') toolName = String(part.toolName);
  else if (part.type.startsWith('tool-')) toolName = part.type.slice('tool-'.length);
  else return undefined;
  const view: ToolPartView = {
    toolName,
    state: String(part.state),
    input: part.input,
    output: part.output,
    errorText: typeof part.errorText === 'string' ? part.errorText : undefined,
    approval: part.approval as ToolPartView['approval'],
    render(actions) {
      switch (view.state) {
        case 'input-streaming':
        case 'input-available':
          return element('p', { className: 'tool', text: `${labels[toolName] ?? toolName}…` });
        case 'approval-requested':
          return element('p', { className: 'tool', text: 'Checking whether this needs your approval…' });
        case 'approval-responded':
          return element('p', {
            className: 'tool',
            text: view.approval?.approved ? 'You approved it. Running it now…' : 'You denied it.',
          });
        case 'output-denied':
          return card(
            'denied',
            'Refund not approved',
            element('p', { text: 'You denied it. Nothing was done.' }),
          );
        case 'output-error':
          return card(
            'denied',
            'The tool failed',
            element('p', { text: view.errorText ?? 'Unknown error.' }),
          );
        case 'output-available': {
          if (isAgentGateResult(view.output)) return gateCard(view, view.output.agentgate, actions);
          if (toolName === 'refund_order') {
            return card('done', 'Refund done', element('p', { text: refundSummary(refundOf(view)) }));
          }
          return element('p', { className: 'tool', text: `✓ ${labels[toolName] ?? toolName}: done` });
        }
        default:
          return undefined;
      }
    },
  };
  return view;
}
