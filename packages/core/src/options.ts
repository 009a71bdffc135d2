/**
 * Checks that `value` is an object whose keys are all among `known`, so a misspelt or misplaced option (`connectURL`,
 * `scope`, an option of another factory) is a `TypeError` at creation instead of being silently dropped. Names the
 * key, the closest known one, and all known ones. For AgentGate's factories and feature packages.
 *
 * @param where the factory or method in the message, e.g. `'createGate'`
 * @param label how the object is called in messages, e.g. `'options'` or `'request'`
 * @throws TypeError when `value` is not a plain object or has a key not in `known`
 * @example assertKnownOptions('createGate', options, ['audit', 'agent', 'riskPolicy']);
 */
export function assertKnownOptions(
  where: string,
  value: unknown,
  known: readonly string[],
  label = 'options',
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}: ${label} must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const closest = closestOf(key, known);
    throw new TypeError(
      `${where}: unknown ${label}.${key}${closest === undefined ? '' : ` (did you mean ${closest}?)`}; known: ${known.join(', ')}`,
    );
  }
}

/**
 * The known name `key` most likely meant: the same but for case, `_` or `-` (`max_age` → `maxAge`), a prefix either
 * way of at least 4 characters (`maxAge` → `maxAgeSeconds`, `expectedSubject` → `expectedSub`), or within a small edit
 * distance (`redirectUrl` → `redirectUri`).
 */
function closestOf(key: string, known: readonly string[]): string | undefined {
  const normal = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
  const wanted = normal(key);
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(wanted.length / 4)) + 1;
  for (const candidate of known) {
    const name = normal(candidate);
    const [shorter, longer] = name.length <= wanted.length ? [name, wanted] : [wanted, name];
    const distance = shorter.length >= 4 && longer.startsWith(shorter) ? 1 : editDistance(wanted, name);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
