import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A `fetch` that trusts one extra CA (the dev server's self-signed one) on top of the system's, without changing
 * what the rest of the process trusts. The dev server uses it for every call it makes to itself in `https` mode, and
 * hands it out as `DevServer.fetch`.
 */
export function fetchTrustingCa(caPem: string): typeof globalThis.fetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) =>
    undiciFetch(
      input as never,
      { ...(init as object), dispatcher } as never,
    )) as unknown as typeof globalThis.fetch;
}
