import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createGate,
  createSession,
  currentSession,
  defineGuard,
  getCredential,
  memoryAudit,
  runWithSession,
  verifyAuditChain,
} from '../src/index';

describe('concurrency', () => {
  it('1,000 parallel calls for 50 sessions never see another session’s credentials', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const sessions = Array.from({ length: 50 }, (_, index) => createSession({ sub: `user-${index}` }));
    const jitter = () => sleep(Math.floor(Math.random() * 3));
    const vault = defineGuard({
      name: 'vault',
      kind: 'vault',
      check: async (context) => {
        await jitter();
        context.setCredential('token', `token-of-${context.session.user.sub}`);
      },
    });
    const tool = gate.protect({ name: 'whoami' }, [vault], async (_args, context) => {
      await jitter();
      const token = getCredential<string>('token');
      await jitter();
      return {
        sub: context.session.user.sub,
        token,
        ambient: currentSession()?.user.sub,
        again: getCredential('token'),
      };
    });

    const calls = Array.from({ length: 1000 }, (_, index) => {
      const session = sessions[index % sessions.length]!;
      // Half the calls get the session explicitly, half from the async context.
      return index % 2 === 0
        ? tool({}, { session }).then((result) => ({ expected: session.user.sub, result }))
        : runWithSession(session, () => tool({})).then((result) => ({ expected: session.user.sub, result }));
    });
    const outcomes = await Promise.all(calls);

    for (const { expected, result } of outcomes) {
      expect(result.sub).toBe(expected);
      expect(result.token).toBe(`token-of-${expected}`);
      expect(result.again).toBe(result.token);
    }
    expect(audit.events).toHaveLength(2000);
    expect(verifyAuditChain(audit.events).valid).toBe(true);
  });
});
