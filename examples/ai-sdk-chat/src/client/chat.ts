/**
 * The page's script (bundled by esbuild at start, served as `/chat.js`): the AI SDK's own chat client (`AbstractChat`
 * with `DefaultChatTransport`) on a tiny DOM state — no framework. It renders the UI message stream: text, the connect
 * card, the approval card (the SDK's tool-approval request; Approve / Deny go back through `addToolApprovalResponse`),
 * the note for an approval waiting on the user's phone, and denials.
 */
import {
  AbstractChat,
  type ChatInit,
  type ChatState,
  type ChatStatus,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type UIMessage,
} from 'ai';
import { approvalCard, type ToolPartView, toolPartView } from './tool-cards';

/** Chat state that tells the page when anything changed. */
class PageChatState implements ChatState<UIMessage> {
  #status: ChatStatus = 'ready';
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];

  constructor(private readonly changed: () => void) {}

  get status(): ChatStatus {
    return this.#status;
  }
  set status(status: ChatStatus) {
    this.#status = status;
    this.changed();
  }
  pushMessage = (message: UIMessage) => {
    this.messages = [...this.messages, message];
    this.changed();
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
    this.changed();
  };
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = this.messages.map((current, position) => (position === index ? message : current));
    this.changed();
  };
  snapshot = <T>(value: T): T => structuredClone(value);
}

class PageChat extends AbstractChat<UIMessage> {
  constructor(init: ChatInit<UIMessage>, state: PageChatState) {
    super({ ...init, state });
  }
}

const root = document.getElementById('chat');
const conversation = document.getElementById('conversation');
const status = document.getElementById('status');
const form = document.getElementById('composer') as HTMLFormElement | null;
const input = document.getElementById('message') as HTMLInputElement | null;
const send = document.getElementById('send') as HTMLButtonElement | null;

if (root && conversation && status && form && input && send) {
  const inboxUrl = root.dataset.inboxUrl ?? '';
  const rendered = new Map<string, { key: string; element: HTMLElement }>();
  let scheduled = false;

  const state = new PageChatState(() => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      render();
    });
  });
  const chat = new PageChat(
    {
      transport: new DefaultChatTransport({ api: '/api/chat' }),
      // After the user approves or denies in the page, the conversation goes on by itself.
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    },
    state,
  );

  const say = (text: string) => {
    void chat.sendMessage({ text });
  };

  const actions = {
    respond: (approvalId: string, approved: boolean) => {
      void chat.addToolApprovalResponse({ id: approvalId, approved });
    },
    say,
    inboxUrl,
  };

  function renderMessage(message: UIMessage): HTMLElement {
    const element = document.createElement('article');
    element.className = `message ${message.role}`;
    element.setAttribute('aria-label', message.role === 'user' ? 'You' : 'Assistant');
    for (const part of message.parts) {
      if (part.type === 'text') {
        if (part.text.trim() === '') continue;
        const paragraph = document.createElement('p');
        paragraph.className = 'text';
        paragraph.textContent = part.text;
        element.append(paragraph);
        continue;
      }
      const view: ToolPartView | undefined = toolPartView(part);
      if (view === undefined) continue;
      if (view.state === 'approval-requested' && !view.approval?.isAutomatic) {
        element.append(approvalCard(view, actions));
        continue;
      }
      const card = view.render(actions);
      if (card) element.append(card);
    }
    return element;
  }

  function render(): void {
    const busy = chat.status === 'submitted' || chat.status === 'streaming';
    status!.textContent = busy ? 'The assistant is working…' : chat.error ? 'Something went wrong.' : '';
    send!.disabled = busy;
    const seen = new Set<string>();
    let previous: Element | null = conversation!.querySelector('.hint');
    for (const message of chat.messages) {
      seen.add(message.id);
      const key = JSON.stringify(message.parts);
      let entry = rendered.get(message.id);
      if (entry?.key !== key) {
        const element = renderMessage(message);
        if (entry) entry.element.replaceWith(element);
        entry = { key, element };
        rendered.set(message.id, entry);
      }
      if (entry.element.previousElementSibling !== previous || !entry.element.isConnected) {
        if (previous) previous.after(entry.element);
        else conversation!.prepend(entry.element);
      }
      previous = entry.element;
    }
    for (const [id, entry] of rendered) {
      if (!seen.has(id)) {
        entry.element.remove();
        rendered.delete(id);
      }
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text === '' || send.disabled) return;
    input.value = '';
    say(text);
  });
  render();
}
