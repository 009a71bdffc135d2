/**
 * Checks that `options` is an object whose keys are all among `known`, so a misspelt or misplaced option is a
 * `TypeError` at creation instead of being silently dropped. For AgentGate's factories and feature packages.
 *
 * @param factory the name in the message, e.g. `'createGate'`
 * @throws TypeError when `options` is not a plain object or has a key not in `known`
 * @example assertKnownOptions('createGate', options, ['audit', 'agent', 'riskPolicy']);
 */
export function assertKnownOptions(factory: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${factory}: options must be an object`);
  }
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `${factory}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `'${key}'`).join(', ')}; ` +
        `the options are: ${known.join(', ')}`,
    );
  }
}
