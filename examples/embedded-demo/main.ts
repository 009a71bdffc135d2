/**
 * AgentGate on the embedded default — `npm run demo`. No cloud account: the dev server (OIDC login, token vault with a
 * mock "Acme Calendar", OpenFGA API) runs in this process on 127.0.0.1, and everything talks to it over real HTTP.
 *
 * A calendar assistant acts for verified users: identity comes from their access tokens (never from tool arguments),
 * calendar access from short-lived tokens the vault exchanges for them, a write needs a fresh second factor, and every
 * decision lands in a hash-chained audit file that is verified at the end. A high-risk refund needs the user's approval on
 * their phone (OpenID CIBA with Rich Authorization Requests), bound to its exact arguments and used once.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApprovals, getApproval, getApprovalToken } from '@agentgate/approval';
import {
  type AgentSession,
  ConnectionTokenRejected,
  createGate,
  GateDenied,
  isGateInterrupt,
  jsonlAudit,
  MemoryStore,
  readAuditLog,
  runWithSession,
  verifyAuditChain,
} from '@agentgate/core';
import { startDevServer } from '@agentgate/dev-server';
import { requireFreshAuth, requireScopes, verifyAccessToken } from '@agentgate/identity';
import { createTokenVault, getConnectionToken } from '@agentgate/token-vault';
import { z } from 'zod';
import { runDocumentSearch } from './documents';

const server = await startDevServer();
const auditFile = join(await mkdtemp(join(tmpdir(), 'agentgate-demo-')), 'audit.jsonl');
console.log(`dev server  ${server.issuer}  (OpenFGA API ${server.fga.apiUrl})`);
console.log(`audit file  ${auditFile}\n`);

try {
  const agentClient = server.clients[0]!;
  const vault = createTokenVault({
    issuer: server.issuer,
    clientId: agentClient.clientId,
    clientSecret: agentClient.clientSecret,
    dialect: 'auth0',
    allowInsecureRequests: true, // http://127.0.0.1 only; production issuers are https
    connectUrl: ({ connection, scopes }) =>
      server.url(`/connections/${connection}/connect?scopes=${encodeURIComponent(scopes.join(' '))}`),
  });
  const gate = createGate({ audit: jsonlAudit(auditFile), agent: { id: 'calendar-assistant' } });

  const calendar = async (method: 'GET' | 'POST', body?: unknown) => {
    const response = await fetch(`${server.connections.apiUrl('acme-calendar')}/events`, {
      method,
      headers: {
        authorization: `Bearer ${getConnectionToken('acme-calendar')}`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 401) throw new ConnectionTokenRejected('acme-calendar'); // the gate refreshes once
    if (!response.ok) throw new Error(`Acme Calendar answered ${response.status}`);
    return response.json();
  };

  const listEvents = gate.protect(
    { name: 'list_events', schema: z.object({}).strict() },
    [requireScopes('calendar:read'), vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] })],
    () => calendar('GET'),
  );
  const addEvent = gate.protect(
    {
      name: 'add_event',
      risk: 'medium',
      schema: z.object({ title: z.string().min(1), start: z.iso.datetime() }),
    },
    [
      requireScopes('calendar:write'),
      requireFreshAuth({ maxAgeSeconds: 300, acr: 'urn:agentgate:loa:2' }),
      vault.guard({ connection: 'acme-calendar', scopes: ['events.write'] }),
    ],
    (event) => calendar('POST', event),
  );

  const signIn = async (username: string, options: { acrValues?: string } = {}): Promise<AgentSession> => {
    const tokens = await server.login(username, options); // the real login pages, authorization code + PKCE
    return verifyAccessToken(tokens.access_token, { issuer: server.issuer, audience: server.apiAudience });
  };
  const step = (text: string) => console.log(`\n— ${text}`);
  const attempt = async (label: string, session: AgentSession, call: () => Promise<unknown>) => {
    try {
      console.log(`  ✓ ${label}: ${JSON.stringify(await runWithSession(session, call))}`);
    } catch (error) {
      if (isGateInterrupt(error) && error.code === 'APPROVAL_PENDING') {
        // What an app shows the user: what is waiting for their approval, and where.
        const { approvalId, channel, bindingMessage } = error.details;
        console.log(`  ⏸ ${label}: ${error.code} ${JSON.stringify({ approvalId, channel, bindingMessage })}`);
      } else if (isGateInterrupt(error)) {
        // What an app shows the user: the link to connect, or how to re-authenticate.
        const { requiredScopes, connectUrl, authorizationParams } = error.details;
        const next = connectUrl ? { requiredScopes, connectUrl } : { authorizationParams };
        console.log(`  ⏸ ${label}: ${error.code} ${JSON.stringify(next)}`);
      } else if (error instanceof GateDenied) {
        console.log(`  ✗ ${label}: ${error.code} — ${error.message}`);
      } else throw error;
    }
  };

  step('alice signs in with her password; her access token is verified into a session');
  let alice = await signIn('alice@acme');
  console.log(
    `  session: sub=${alice.user.sub} tenant=${alice.tenant} acr=${alice.acr} scopes=${alice.scopes.join(' ')}`,
  );
  await attempt('list_events', alice, () => listEvents({}));

  step('alice connects Acme Calendar (the connect link above), read-only');
  await server.connections.connect('alice@acme', 'acme-calendar', { scopes: ['events.read'] });
  await attempt('list_events', alice, () => listEvents({}));

  step('the model asks to add an event: a write needs a fresh second factor');
  const demoEvent = { title: 'Quarterly review', start: '2026-11-24T10:00:00Z' };
  await attempt('add_event', alice, () => addEvent(demoEvent));
  alice = await signIn('alice@acme', { acrValues: 'urn:agentgate:loa:2' });
  console.log(`  alice signs in again with the one-time code: acr=${alice.acr}`);
  await attempt('add_event', alice, () => addEvent(demoEvent));

  step('alice grants write access too (the vault asks for the union of scopes)');
  await server.connections.connect('alice@acme', 'acme-calendar', {
    scopes: ['events.read', 'events.write'],
  });
  await attempt('add_event', alice, () => addEvent(demoEvent));
  await attempt('list_events', alice, () => listEvents({}));

  step('the model tries to act for alice through the arguments');
  const modelArguments: unknown = JSON.parse('{"user":"alice"}'); // what a model emits is untyped JSON
  await attempt('list_events {"user":"alice"}', alice, () =>
    listEvents(modelArguments as Record<string, never>),
  );

  step('bob, same tenant, has his own connection and sees only his own calendar');
  const bob = await signIn('bob@acme');
  await server.connections.connect('bob@acme', 'acme-calendar', { scopes: ['events.read'] });
  await attempt('list_events', bob, () => listEvents({}));
  await attempt('add_event', bob, () => addEvent(demoEvent));

  step('the model asks to refund order 1042: high risk, so alice approves on her phone (CIBA + RAR)');
  const approvals = createApprovals({
    store: new MemoryStore(), // production: @agentgate/redis, so a restarted process resumes pending approvals
    audit: gate.audit ?? false, // the same hash-chained file as the gate
    ciba: {
      issuer: server.issuer,
      clientId: agentClient.clientId,
      clientSecret: agentClient.clientSecret,
      audience: server.apiAudience,
      allowInsecureRequests: true,
    },
  });
  let refundsExecuted = 0;
  const refundOrder = gate.protect(
    {
      name: 'refund_order',
      risk: 'high', // the gate's default risk policy requires a guard of kind 'approval'
      schema: z.object({
        orderId: z.string(),
        amount: z.number().positive(),
        currency: z.string().default('EUR'),
      }),
    },
    [
      approvals.guard({
        channel: 'ciba',
        mode: 'interrupt',
        details: ({ args }) => [
          { type: 'refund', orderId: args.orderId, amount: args.amount, currency: args.currency },
        ],
        bindingMessage: ({ args }) => `Refund ${args.amount} ${args.currency} on order ${args.orderId}`,
      }),
    ],
    async (args) => {
      refundsExecuted += 1;
      // The refunds API would receive the approval token and see the approved authorization_details in it.
      const { authorizationDetails } = getApproval();
      return {
        refunded: args.orderId,
        amount: args.amount,
        approved: authorizationDetails,
        token: !!getApprovalToken(),
      };
    },
  );
  const refundArgs = { orderId: '1042', amount: 240 };
  await attempt('refund_order', alice, () => refundOrder(refundArgs));
  const onPhone = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
  console.log(
    `  📱 alice's phone: "${onPhone.bindingMessage}" ${JSON.stringify(onPhone.authorizationDetails)} → approve`,
  );
  await server.approvals.approve(onPhone.id);
  await approvals.resume(); // a worker (approvals.startWorker) does this in the background
  await attempt('refund_order', alice, () => refundOrder(refundArgs));
  await attempt('refund_order replayed', alice, () => refundOrder(refundArgs));
  console.log(`  refunds executed: ${refundsExecuted}`);
  await approvals.close();

  step('retrieval is access: a document search that shows each user only what OpenFGA lets them see');
  await runDocumentSearch(server, console.log, { audit: gate.audit ?? false, sessions: [alice, bob] });

  step('the audit trail, read back from the file');
  const events = await readAuditLog(auditFile);
  for (const event of events) {
    console.log(
      `  ${event.hash.slice(0, 8)} ${(event.sub ?? '-').padEnd(6)}${event.tool.padEnd(14)}${(event.guard ?? event.phase).padEnd(58)}${event.outcome.padEnd(10)}${event.code ?? ''}`,
    );
  }
  const verdict = verifyAuditChain(events);
  console.log(
    `  chain: ${verdict.valid ? `intact, ${verdict.count} events` : `BROKEN at event ${verdict.index + 1}`}`,
  );
  const lines = (await readFile(auditFile, 'utf8')).trimEnd().split('\n');
  await writeFile(auditFile, `${lines.filter((_line, index) => index !== 3).join('\n')}\n`);
  const afterDeletion = verifyAuditChain(await readAuditLog(auditFile));
  console.log(
    `  after deleting line 4 of the file: ${afterDeletion.valid ? 'intact?!' : `broken at event ${afterDeletion.index + 1} (${afterDeletion.reason})`}`,
  );
  const tokensInAudit = /eyJ[\w-]+\.[\w-]+\./.test(lines.join('\n'));
  console.log(`  tokens in the audit file: ${tokensInAudit ? 'FOUND' : 'none'}`);
  if (!verdict.valid || afterDeletion.valid || tokensInAudit) process.exitCode = 1;
} finally {
  await server.close();
}
