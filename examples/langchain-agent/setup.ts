/**
 * The demo's world, all on the embedded default: the dev server in this process (OIDC login, CIBA + RAR with an inbox,
 * token vault with a mock "Acme Calendar", the OpenFGA API), one gate writing a hash-chained audit file, the token
 * vault, the approvals and the FGA authorizer — every client talking to the server over real HTTP on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Approvals, createApprovals } from '@agentgate/approval';
import { type AgentSession, createGate, type Gate, jsonlAudit, MemoryStore } from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { createFgaAuthorizer, type FgaAuthorizer } from '@agentgate/fga';
import { verifyAccessToken } from '@agentgate/identity';
import { createTokenVault, type TokenVault } from '@agentgate/token-vault';

/** Everything the demo's tools and transcript need, and how to take it down. */
export interface DemoWorld {
  readonly server: DevServer;
  readonly gate: Gate;
  readonly vault: TokenVault;
  readonly approvals: Approvals;
  readonly fga: FgaAuthorizer;
  /** The JSON-lines audit file the gate, the approvals and the FGA filter share (one hash chain). */
  readonly auditFile: string;
  /** Signs a seeded user in through the real login page and verifies the access token into a session. */
  signIn(username: string): Promise<AgentSession>;
  close(): Promise<void>;
}

/** Options of {@link startDemoWorld}. */
export interface DemoWorldOptions {
  /** Leave the audit file in place at `close()` (for a person to inspect). Default false: it is removed. */
  keepAuditFile?: boolean;
}

/** Starts the dev server and builds the SDK clients on it. */
export async function startDemoWorld(options: DemoWorldOptions = {}): Promise<DemoWorld> {
  const server = await startDevServer({ cibaIntervalSeconds: 1 });
  const auditDirectory = await mkdtemp(join(tmpdir(), 'agentgate-langchain-demo-'));
  const auditFile = join(auditDirectory, 'audit.jsonl');
  const agentClient = server.clients[0]!;
  const gate = createGate({ audit: jsonlAudit(auditFile), agent: { id: 'support-agent' } });
  const audit = gate.audit ?? false; // one chain for the gate, the approvals and the FGA filter
  const vault = createTokenVault({
    issuer: server.issuer,
    clientId: agentClient.clientId,
    clientSecret: agentClient.clientSecret,
    dialect: 'auth0',
    allowInsecureRequests: true, // http://127.0.0.1 only; production issuers are https
    connectUrl: ({ connection, scopes }) =>
      server.url(`/connections/${connection}/connect?scopes=${encodeURIComponent(scopes.join(' '))}`),
  });
  const approvals = createApprovals({
    store: new MemoryStore(), // production: @agentgate/redis, so a restarted process resumes pending approvals
    audit,
    ciba: {
      issuer: server.issuer,
      clientId: agentClient.clientId,
      clientSecret: agentClient.clientSecret,
      audience: server.apiAudience,
      allowInsecureRequests: true,
    },
  });
  const fga = createFgaAuthorizer({
    apiUrl: server.fga.apiUrl,
    storeId: server.fga.storeId,
    authorizationModelId: server.fga.authorizationModelId,
    listObjectsMaxResults: Number.POSITIVE_INFINITY, // fga-local's server does not cut lists short
    audit,
  });

  return {
    server,
    gate,
    vault,
    approvals,
    fga,
    auditFile,
    async signIn(username) {
      const tokens = await server.login(username); // the login page: authorization code + PKCE
      return verifyAccessToken(tokens.access_token, { issuer: server.issuer, audience: server.apiAudience });
    },
    async close() {
      try {
        await approvals.close();
        await gate.close();
      } finally {
        await server.close();
        if (!options.keepAuditFile) await rm(auditDirectory, { recursive: true, force: true });
      }
    },
  };
}
