/** RFC 8707: the token's `aud` names this resource (one trailing slash aside). */
export function audienceMatches(aud: unknown, resource: string): boolean {
  const comparable = (value: string) => value.replace(/\/$/, '');
  const audiences = Array.isArray(aud) ? aud : [aud];
  return audiences.some((value) => typeof value === 'string' && comparable(value) === comparable(resource));
}

/** Names of the tools a JSON-RPC body calls (`tools/call`), single or batched. */
export function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((message) => {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { name?: unknown } };
    return method === 'tools/call' && typeof params?.name === 'string' ? [params.name] : [];
  });
}

/** The body opens an MCP session (`initialize`). */
export function isInitialize(body: unknown): boolean {
  return (Array.isArray(body) ? body : [body]).some(
    (message) => (message as { method?: unknown })?.method === 'initialize',
  );
}
