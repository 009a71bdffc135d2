export interface FanOutModelOptions {
  /** Relations per level. */
  width: number;
  /** Levels below the first; the relations of the last level are `[user]`. */
  depth: number;
  /** Let every relation of the last level also be `r0_0`, so every path runs into one cycle. */
  cyclic?: boolean;
}

/**
 * A model of `document` relations in levels: each `r{level}_{k}` is the union of every relation of the next
 * level, so `r0_0` reaches the last level along width^depth paths. Memoised, a check visits each relation
 * once; unmemoised it walks every path. With `cyclic`, the last level leads back to `r0_0`, so no answer on
 * the way is final before `r0_0` is (a cycle stays open), and even a memoising engine walks every path.
 * `top: [user] and r0_0` gives list objects a candidate to check.
 */
export function fanOutModel({ width, depth, cyclic = false }: FanOutModelOptions): string {
  const lines = ['model', '  schema 1.1', 'type user', 'type document', '  relations'];
  lines.push('    define top: [user] and r0_0');
  for (let level = 0; level <= depth; level++) {
    const next = Array.from({ length: width }, (_, index) => `r${level + 1}_${index}`).join(' or ');
    for (let index = 0; index < width; index++) {
      const rewrite = level === depth ? `[user]${cyclic ? ' or r0_0' : ''}` : next;
      lines.push(`    define r${level}_${index}: ${rewrite}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
