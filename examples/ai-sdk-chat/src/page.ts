/**
 * The chat's one HTML page. Signed out it offers the sign-in; signed in it holds the conversation (filled by the
 * client script, `/chat.js`) and the message form. Everything it loads comes from this server (strict CSP).
 */

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character]!);
}

/** The Content-Security-Policy of every page: nothing from elsewhere, no inline script or style. */
export const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function layout(title: string, body: string, script = false): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/styles.css">
${script ? '<script type="module" src="/chat.js"></script>' : ''}
</head>
<body>
${body}
</body>
</html>`;
}

/** The page for a visitor who is not signed in. */
export function signedOutPage(): string {
  return layout(
    'AgentGate chat',
    `<main>
<h1>AgentGate chat</h1>
<p>An assistant that acts for you, and only as far as you allow: it reads your calendar through a connection you
approve, sees only the documents you may read, and asks you before it refunds anything.</p>
<p><a class="button button-primary" href="/login">Sign in</a></p>
<p class="muted">Local demo: sign in as <strong>alice@acme</strong> / alice-password or <strong>bob@acme</strong> / bob-password.</p>
</main>`,
  );
}

export interface ChatPageOptions {
  userName: string;
  /** The dev server's approval inbox (CIBA requests wait there). */
  inboxUrl: string;
}

/** The chat page for a signed-in user. */
export function chatPage({ userName, inboxUrl }: ChatPageOptions): string {
  return layout(
    'AgentGate chat',
    `<header class="site-header"><div class="chat-header-inner">
<span class="brand">AgentGate chat</span>
<p class="account">Signed in as <strong>${escapeHtml(userName)}</strong></p>
<form method="post" action="/logout"><button type="submit" class="button button-secondary">Sign out</button></form>
</div></header>
<main class="chat" id="chat" data-inbox-url="${escapeHtml(inboxUrl)}">
<h1 class="visually-hidden">Chat with the assistant</h1>
<div id="conversation" class="conversation" role="log" aria-live="polite" aria-label="Conversation">
<p class="muted hint">Try “What is on my calendar?”, “Search the docs for budget plan” or “Refund 40 EUR on order 1042”.</p>
</div>
<p id="status" class="status" role="status"></p>
<form id="composer" class="composer">
<label for="message">Message</label>
<div class="composer-row">
<input id="message" name="message" type="text" autocomplete="off" required maxlength="500">
<button type="submit" class="button button-primary" id="send">Send</button>
</div>
</form>
</main>`,
    true,
  );
}
