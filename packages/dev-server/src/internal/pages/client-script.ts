/** Where the dev server serves {@link devPageScript}. */
export const devPageScriptPath = '/assets/agentgate-dev.js';

/**
 * The pages' only script, served from the server itself (CSP `script-src 'self'`, no inline code):
 * - a region marked `data-live` refreshes itself every 3 s from its URL (GET, same origin, no
 *   redirects followed), swapping its content only when its `data-signature` changed, and announces
 *   the region's `data-announce` text through the page's `#live-status` element, and keeping the
 *   focused control and the open `<details>` as they were;
 * - `<time data-expires-at="epoch seconds">` keeps saying "expires in 4 min" as time passes.
 * The pages work without it (a reload shows the same).
 */
export const devPageScript = `(() => {
  'use strict';
  const phrase = (expiresAt) => {
    const delta = expiresAt - Date.now() / 1000;
    const future = delta > 0;
    const span = future ? Math.floor(delta) : Math.ceil(-delta);
    let amount;
    if (span < 60) amount = span + ' s';
    else if (span < 3600) amount = (future ? Math.floor(span / 60) : Math.ceil(span / 60)) + ' min';
    else if (span < 86400) amount = Math.floor(span / 3600) + ' h';
    else amount = Math.floor(span / 86400) + ' d';
    return future ? 'expires in ' + amount : 'expired ' + amount + ' ago';
  };
  const tick = () => {
    for (const element of document.querySelectorAll('time[data-expires-at]')) {
      const text = phrase(Number(element.getAttribute('data-expires-at')));
      if (element.textContent !== text) element.textContent = text;
    }
  };
  setInterval(tick, 15000);

  // Names a control across a swap: its card, its form, and what it is and says.
  const keyOf = (element) => {
    const card = element.closest('[data-approval-id]');
    const form = element.closest('form');
    const summary = element.tagName === 'DETAILS' ? element.querySelector('summary') : undefined;
    return [
      card ? card.getAttribute('data-approval-id') : '',
      form ? form.getAttribute('action') : '',
      element.tagName,
      element.getAttribute('href') || '',
      (summary || element).textContent.trim(),
    ].join('|');
  };

  const region = document.querySelector('[data-live]');
  if (!region) return;
  const source = region.getAttribute('data-live');
  const status = document.getElementById('live-status');
  let busy = false;
  let timer;
  const refresh = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(source, {
        headers: { accept: 'text/html' },
        credentials: 'same-origin',
        redirect: 'manual',
        cache: 'no-store',
      });
      if (response.type === 'opaqueredirect' || !response.ok) {
        clearInterval(timer);
        return;
      }
      const next = new DOMParser()
        .parseFromString(await response.text(), 'text/html')
        .querySelector('[data-live]');
      if (!next) {
        clearInterval(timer);
        return;
      }
      if (next.getAttribute('data-signature') !== region.getAttribute('data-signature')) {
        // Keep the reader's place: the focused control and the open disclosures survive the swap.
        const focused = document.activeElement;
        const focusedKey = focused && focused !== region && region.contains(focused) ? keyOf(focused) : undefined;
        const opened = Array.from(region.querySelectorAll('details[open]'), keyOf);
        region.replaceChildren(...Array.from(next.childNodes, (node) => document.importNode(node, true)));
        for (const details of region.querySelectorAll('details')) {
          if (opened.includes(keyOf(details))) details.open = true;
        }
        if (focusedKey !== undefined) {
          const again = Array.from(region.querySelectorAll('a, button, summary, input, select, textarea')).find(
            (element) => keyOf(element) === focusedKey,
          );
          if (again) again.focus();
        }
        region.setAttribute('data-signature', next.getAttribute('data-signature') || '');
        const announce = next.getAttribute('data-announce');
        if (status && announce) status.textContent = announce;
        tick();
      }
    } catch {
      // Offline or the server stopped: try again on the next tick.
    } finally {
      busy = false;
    }
  };
  timer = setInterval(refresh, 3000);
})();
`;
