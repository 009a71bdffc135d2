/**
 * A list of OAuth scopes as a request names them: a non-empty array of scope tokens (RFC 6749 §3.3: printable ASCII
 * without space, `"` or `\`), returned without duplicates and sorted, so two requests for the same scopes share a
 * cache entry. `label` names the field in the error (`vault.getToken: request.scopes`).
 *
 * @throws TypeError for anything else, with a hint when the scopes came as one space-separated string
 */
export function readScopeList(label: string, scopes: unknown): string[] {
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.some((scope) => typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
  ) {
    const hint =
      typeof scopes === 'string' ? ` (got a string: write scopes: ${JSON.stringify(scopes.split(' '))})` : '';
    throw new TypeError(`${label} must be a non-empty array of OAuth scope tokens (no spaces)${hint}`);
  }
  return [...new Set(scopes as string[])].sort();
}
