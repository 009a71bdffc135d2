/**
 * AgentGate around the chat agent's tools, on the embedded dev server:
 * - `list_events`: scope `calendar:read`, then the token vault exchanges the user's token for an Acme Calendar token
 *   (not connected yet → `CONNECTION_REQUIRED` with the connect link);
 * - `search_docs`: scope `docs:read`; the tool returns only documents OpenFGA lets the user read;
 * - `refund_order` (high risk): scope `refunds:write`, OpenFGA `can_refund` on the order, then the user's approval —
 *   in the chat for refunds up to 500 (the AI SDK's tool approval, recorded as an AgentGate in-app approval bound to
 *   the arguments), on their phone for larger ones (CIBA with a RAR `refund` detail; the dev server's inbox is the phone).
 * Every decision lands in one hash-chained audit file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentGateToolApproval,
  createAiSdkAuth,
  recordChatDenials,
  sessionToolsContext,
} from '@agentgate/ai-sdk';
import { type AuthorizationDetail, createApprovals } from '@agentgate/approval';
import { type AgentSession, createGate, type Gate, jsonlAudit, MemoryStore } from '@agentgate/core';
import type { DevClient, DevServer } from '@agentgate/dev-server';
import { createFgaAuthorizer } from '@agentgate/fga';
import { requireScopes } from '@agentgate/identity';
import { createTokenVault } from '@agentgate/token-vault';
import { indexTuples } from './documents';
import { CALENDAR, createChatTools, type RefundArguments } from './tools';

/** Refunds above this amount are approved on the user's phone (CIBA), smaller ones in the chat. */
export const PHONE_APPROVAL_ABOVE = 500;

/** A refund that ran. */
export type Refund = RefundArguments;

export interface CreateChatAgentOptions {
  server: DevServer;
  /** The dev-server client the app signs in, exchanges tokens and asks for approvals with. */
  client: DevClient;
  onRefund?: (refund: Refund) => void;
}

const refundDetails = ({ args }: { args: RefundArguments }): AuthorizationDetail[] => [
  { type: 'refund', orderId: args.orderId, amount: args.amount, currency: args.currency },
];
const refundMessage = ({ args }: { args: RefundArguments }) =>
  `Refund ${args.amount} ${args.currency} on order ${args.orderId}`;

export async function createChatAgent({ server, client, onRefund }: CreateChatAgentOptions) {
  const auditFile = join(await mkdtemp(join(tmpdir(), 'agentgate-chat-')), 'audit.jsonl');
  const gate: Gate = createGate({ audit: jsonlAudit(auditFile), agent: { id: 'chat-assistant' } });
  const vault = createTokenVault({
    issuer: server.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    dialect: 'auth0',
    allowInsecureRequests: true, // http://127.0.0.1 only; production issuers are https
    connectUrl: ({ connection, scopes }) =>
      server.url(
        `/connections/${connection}/connect?scopes=${encodeURIComponent(scopes.join(' '))}&client_id=${client.clientId}`,
      ),
  });
  const approvals = createApprovals({
    store: new MemoryStore(), // production: @agentgate/redis, so pending approvals survive a restart
    audit: gate.audit ?? false, // the gate's hash chain
    ciba: {
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      audience: server.apiAudience,
      allowInsecureRequests: true,
    },
  });
  const worker = approvals.startWorker({ intervalMs: 1000 }); // settles phone approvals in the background
  const fga = createFgaAuthorizer({
    apiUrl: server.fga.apiUrl,
    storeId: server.fga.storeId,
    authorizationModelId: server.fga.authorizationModelId,
    listObjectsMaxResults: Number.POSITIVE_INFINITY, // fga-local's server does not cut lists short
    ...(gate.audit ? { audit: gate.audit } : {}),
  });
  await fga.writeTuples(indexTuples); // the app indexes its documents with their folders

  const plain = createChatTools({ server, fga, ...(onRefund ? { onRefund } : {}) });
  const auth = createAiSdkAuth({ gate, approvals });
  const tools = {
    list_events: auth.withAuth(
      plain.list_events,
      { name: 'list_events' },
      requireScopes('calendar:read'),
      vault.guard({ connection: CALENDAR, scopes: ['events.read'] }),
    ),
    search_docs: auth.withAuth(plain.search_docs, { name: 'search_docs' }, requireScopes('docs:read')),
    refund_order: auth.withAuth(
      plain.refund_order,
      { name: 'refund_order', risk: 'high' },
      requireScopes('refunds:write'),
      fga.guard<RefundArguments>({ relation: 'can_refund', object: (args) => `order:${args.orderId}` }),
      // In the chat: the AI SDK's approval request, decided by the user in the page.
      auth.approval<RefundArguments>({
        when: ({ args }) => args.amount <= PHONE_APPROVAL_ABOVE,
        details: refundDetails,
        bindingMessage: refundMessage,
      }),
      // Large refunds: on the user's phone (CIBA + RAR); the call returns APPROVAL_PENDING until they decide.
      approvals.guard<RefundArguments>({
        channel: 'ciba',
        mode: 'interrupt',
        when: ({ args }) => args.amount > PHONE_APPROVAL_ABOVE,
        details: refundDetails,
        bindingMessage: refundMessage,
      }),
    ),
  };
  const toolApproval = agentGateToolApproval();
  // The AI SDK signs each approval request it issues, so a page cannot forge one (AgentGate binds it to the arguments).
  const toolApprovalSecret = randomBytes(32);

  return {
    tools,
    gate,
    approvals,
    auditFile,
    /**
     * The `streamText` settings of one request: the tools, their session context, the approval hook, and `onStart`,
     * which records a "no" in the chat as the denial of the AgentGate approval.
     */
    forSession(session: AgentSession) {
      return {
        tools,
        toolsContext: sessionToolsContext(tools, session),
        toolApproval,
        onStart: recordChatDenials,
        experimental_toolApprovalSecret: toolApprovalSecret,
      };
    },
    async close() {
      worker.stop();
      await approvals.close();
      await gate.close();
    },
  };
}

export type ChatAgent = Awaited<ReturnType<typeof createChatAgent>>;
