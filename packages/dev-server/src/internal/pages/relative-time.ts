/**
 * A short relative phrase for an instant: `in 4 min`, `in 30 s`, `2 h ago`. Minutes are rounded
 * down for the future (never promise more time than is left) and up for the past.
 */
export function relativeTime(epochSeconds: number, nowMs: number = Date.now()): string {
  const delta = epochSeconds - nowMs / 1000;
  // Sign before rounding (half a second after an instant is "0 s ago", never "in 0 s"), and whole
  // seconds down for the future (299.6 s left is "4 min", not "5 min"), up for the past.
  const future = delta > 0;
  const span = future ? Math.floor(delta) : Math.ceil(-delta);
  let amount: string;
  if (span < 60) amount = `${span} s`;
  else if (span < 3600) amount = `${future ? Math.floor(span / 60) : Math.ceil(span / 60)} min`;
  else if (span < 86_400) amount = `${Math.floor(span / 3600)} h`;
  else amount = `${Math.floor(span / 86_400)} d`;
  return future ? `in ${amount}` : `${amount} ago`;
}

/** `expires in 4 min` / `expired 2 min ago`. */
export function expiryPhrase(expiresAt: number, nowMs: number = Date.now()): string {
  const when = relativeTime(expiresAt, nowMs);
  return expiresAt * 1000 > nowMs ? `expires ${when}` : `expired ${when}`;
}
