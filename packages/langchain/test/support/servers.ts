import type { AgentSession } from '@agentgate/core';
import type { DevServer } from '@agentgate/dev-server';
import { verifyAccessToken } from '@agentgate/identity';

/** A session of a dev-server user from a real login and a verified access token (as an app builds it). */
export async function loginSession(
  server: DevServer,
  username: string,
  scope: string,
): Promise<AgentSession> {
  const tokens = await server.login(username, { scope });
  return verifyAccessToken(tokens.access_token, { issuer: server.issuer, audience: server.apiAudience });
}

/** Resolves once `predicate` holds; fails with `what` after `timeoutMs` of real time. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
