/**
 * The company's own documents API: a resource server that accepts the user's own tokens and, for reading
 * only, tokens an agent obtained on the user's behalf (`act`). It answers with who asked and through whom.
 */
import { type AccessTokenVerifier, protectApi } from '@agentgate/identity';

const documents: Record<string, { title: string; text: string }> = {
  'acme-onboarding': { title: 'Onboarding', text: 'Welcome to Acme. Your first week starts with...' },
  'acme-expenses': { title: 'Expense policy', text: 'Expenses up to 50 EUR need no receipt.' },
  'acme-roadmap': { title: 'Roadmap 2027', text: 'Q1: MCP everywhere. Q2: ...' },
  'acme-salaries': { title: 'Salaries', text: 'Confidential.' },
};

/** A Fetch-style handler for `GET <base>/documents/:id`. */
export function createDocsApi(verifier: AccessTokenVerifier): (request: Request) => Promise<Response> {
  const api = protectApi({ verifier, requiredScopes: ['docs:read'], agents: { scopes: ['docs:read'] } });
  return api.fetch((request, caller) => {
    const id = new URL(request.url).pathname.split('/').at(-1) ?? '';
    const document = documents[id];
    if (!document) return Response.json({ error: 'not_found' }, { status: 404 });
    const servedTo = caller.actor
      ? `served to ${caller.user.sub} through the agent ${caller.actor.sub}`
      : `served to ${caller.user.sub}`;
    return Response.json({ ...document, servedTo });
  });
}
