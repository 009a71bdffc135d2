/**
 * The agent's three tools, each a plain LangChain tool wrapped by `withAuth` with the guards that protect it:
 *
 * - `list_events` — the user's Acme Calendar through the token vault (a short-lived calendar token exchanged for the
 *   signed-in user; not connected yet ⇒ `CONNECTION_REQUIRED` with the connect link);
 * - `search_docs` — retrieval over the in-memory vector store through `FgaRetriever`, so only documents OpenFGA lets
 *   the user view reach the model;
 * - `refund_order` — high risk: OpenFGA must say the user may refund the order, then the user approves this exact
 *   refund on their phone (CIBA with RAR `refund` details), used once.
 */
import { getApproval } from '@agentgate/approval';
import { ConnectionTokenRejected } from '@agentgate/core';
import { requireScopes } from '@agentgate/identity';
import { createLangChainAuth, FgaRetriever } from '@agentgate/langchain';
import { getConnectionToken } from '@agentgate/token-vault';
import type { DocumentInterface } from '@langchain/core/documents';
import type { BaseRetrieverInterface } from '@langchain/core/retrievers';
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import { z } from 'zod';
import { documentObject } from './documents';
import type { DemoWorld } from './setup';

/** The calendar connection the dev server seeds. */
export const CALENDAR = 'acme-calendar';

/** The gated tools, and how many refunds actually ran. */
export interface DemoTools {
  readonly tools: StructuredToolInterface[];
  refundsExecuted(): number;
}

export function createDemoTools(world: DemoWorld, retriever: BaseRetrieverInterface): DemoTools {
  const auth = createLangChainAuth({ gate: world.gate, approvals: world.approvals });
  let refunds = 0;

  const listEvents = tool(
    async () => {
      const response = await fetch(`${world.server.connections.apiUrl(CALENDAR)}/events`, {
        headers: { authorization: `Bearer ${getConnectionToken(CALENDAR)}` },
      });
      if (response.status === 401) throw new ConnectionTokenRejected(CALENDAR); // the gate refreshes once
      if (!response.ok) throw new Error(`Acme Calendar answered ${response.status}`);
      return JSON.stringify(await response.json());
    },
    {
      name: 'list_events',
      description: "Lists the events in the signed-in user's Acme Calendar.",
      schema: z.object({}),
    },
  );

  const documents = new FgaRetriever({
    retriever,
    fga: world.fga,
    relation: 'viewer',
    type: 'doc',
    object: documentObject,
    k: 3, // refilled from the vector store until three documents the user may view (or the list ends)
    // In a pre-filter round the store searches only the allowed set (a metadata filter; here, a predicate).
    filter: (allowed) => (document: DocumentInterface) => allowed.ids.has(String(document.metadata['id'])),
  });
  const searchDocs = tool(
    async ({ query }, config) => {
      const found = await documents.invoke(query, config);
      const listed = found.map(({ metadata }: { metadata: Record<string, unknown> }) => ({
        id: metadata['id'],
        title: metadata['title'],
        folder: metadata['folder'],
      }));
      return JSON.stringify({ documents: listed });
    },
    {
      name: 'search_docs',
      description: 'Searches the company documents the signed-in user may read; returns the best matches.',
      schema: z.object({ query: z.string().min(1).describe('what to look for') }),
    },
  );

  const refundSchema = z.object({
    orderId: z.string().min(1),
    amount: z.number().positive(),
    currency: z.string().length(3),
  });
  type RefundArgs = z.output<typeof refundSchema>;
  const refundOrder = tool(
    async ({ orderId, amount, currency }) => {
      refunds += 1;
      // A refunds API would receive getApprovalToken() and find the approved authorization_details in it.
      const { approvalId } = getApproval();
      return JSON.stringify({ orderId, amount, currency, approvalId });
    },
    {
      name: 'refund_order',
      description: 'Refunds an order to the customer. The signed-in user approves it on their phone.',
      schema: refundSchema,
    },
  );

  return {
    tools: [
      auth.withAuth(
        listEvents,
        requireScopes('calendar:read'),
        world.vault.guard({ connection: CALENDAR, scopes: ['events.read'] }),
      ),
      auth.withAuth(searchDocs, requireScopes('docs:read')),
      auth.withAuth(
        refundOrder,
        { risk: 'high' }, // the gate's default risk policy requires a guard of kind 'approval'
        requireScopes('refunds:write'),
        world.fga.guard<RefundArgs>({ relation: 'can_refund', object: (args) => `order:${args.orderId}` }),
        world.approvals.guard<RefundArgs>({
          channel: 'ciba',
          mode: 'interrupt',
          details: ({ args }) => [
            { type: 'refund', orderId: args.orderId, amount: args.amount, currency: args.currency },
          ],
          bindingMessage: ({ args }) => `Refund ${args.amount} ${args.currency} on order ${args.orderId}`,
        }),
      ),
    ],
    refundsExecuted: () => refunds,
  };
}
