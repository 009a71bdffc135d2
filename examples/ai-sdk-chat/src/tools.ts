/**
 * The agent's three tools as plain AI SDK tools — the same names and shapes as the LangChain demo. They know nothing of
 * identity or policy: `agentgate.ts` wraps each with its guards, and inside a gated call they read what the guards
 * attached (the calendar token, the approval) and the verified session from core's call context.
 */
import { type AgentSession, ConnectionTokenRejected, currentCall, GateDenied } from '@agentgate/core';
import type { DevServer } from '@agentgate/dev-server';
import type { FgaAuthorizer } from '@agentgate/fga';
import { getConnectionToken } from '@agentgate/token-vault';
import { type Tool, tool } from 'ai';
import { z } from 'zod';
import { rankDocuments, type TeamDocument } from './documents';

export const CALENDAR = 'acme-calendar';

/** What the tools reach: the dev server's mock calendar API and the OpenFGA authorizer. */
export interface ChatToolsOptions {
  server: DevServer;
  fga: FgaAuthorizer;
  /** Called when a refund really runs (the test counts them). */
  onRefund?: (refund: { orderId: string; amount: number; currency: string }) => void;
}

/** The verified session of the gated call running now (the gate put it there; the model cannot). */
function callSession(): AgentSession {
  const call = currentCall();
  if (!call) throw new GateDenied('FORBIDDEN', 'search_docs ran outside a gated call');
  // The filter needs only who asks; it never sees a token.
  return {
    ...call.session,
    subjectToken: () => Promise.reject(new GateDenied('FORBIDDEN', 'no token here')),
  };
}

export interface CalendarEvents {
  items: { title: string; start: string }[];
}

export interface DocumentHits {
  documents: { id: string; title: string }[];
  /** How many ranked documents the user may not read. */
  hidden: number;
}

export interface RefundArguments {
  orderId: string;
  amount: number;
  currency: string;
}

export interface ChatTools {
  list_events: Tool<Record<string, never>, CalendarEvents>;
  search_docs: Tool<{ query: string }, DocumentHits>;
  refund_order: Tool<RefundArguments, RefundArguments & { status: 'refunded' }>;
}

export function createChatTools({ server, fga, onRefund }: ChatToolsOptions): ChatTools {
  return {
    list_events: tool({
      description: "Lists the events in the signed-in user's Acme Calendar.",
      inputSchema: z.object({}).strict(),
      execute: async () => {
        const response = await fetch(`${server.connections.apiUrl(CALENDAR)}/events`, {
          headers: { authorization: `Bearer ${getConnectionToken(CALENDAR)}` },
        });
        if (response.status === 401) throw new ConnectionTokenRejected(CALENDAR); // the gate refreshes once
        if (!response.ok) throw new Error(`Acme Calendar answered ${response.status}`);
        return (await response.json()) as CalendarEvents;
      },
    }),

    search_docs: tool({
      description: 'Searches the team documents the signed-in user may read.',
      inputSchema: z.object({ query: z.string().min(1).max(200) }),
      execute: async ({ query }) => {
        const ranked = rankDocuments(query);
        const result = await fga.retrieveDocuments({
          session: callSession(),
          relation: 'viewer',
          type: 'doc',
          object: (document: TeamDocument) => `doc:${document.id}`,
          k: 3,
          fetch: ({ offset, limit, allowed }) =>
            ranked
              .filter((document) => !allowed || allowed.ids.has(document.id))
              .slice(offset, offset + limit),
          name: 'search_docs',
        });
        if (!result.success) throw result.error; // fail closed: no documents
        return {
          documents: result.documents.map(({ id, title }) => ({ id, title })),
          hidden: result.stats.removed,
        };
      },
    }),

    refund_order: tool({
      description: 'Refunds an amount on a customer order. High risk: the user approves each refund.',
      inputSchema: z.object({
        orderId: z.string().regex(/^[\w-]{1,32}$/),
        amount: z.number().positive().max(100_000),
        currency: z
          .string()
          .regex(/^[A-Z]{3}$/)
          .default('EUR'),
      }),
      execute: async ({ orderId, amount, currency }) => {
        onRefund?.({ orderId, amount, currency });
        return { orderId, amount, currency, status: 'refunded' as const };
      },
    }),
  };
}
