/**
 * Who decides a pending CIBA approval: the scripted "phone" (the dev server's `approvals.approve`, what the user's
 * trusted device would do), or a person in the dev server's inbox page (`--interactive`).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ApprovalDecider } from './conversation';
import type { DemoWorld } from './setup';
import type { Transcript } from './transcript';

/** The user's phone shows the request, with its details, and the user approves. */
export function approveOnPhone(world: DemoWorld, transcript: Transcript): ApprovalDecider {
  return async ({ sub }) => {
    const request = await world.server.approvals.waitFor({ sub, status: 'pending' });
    transcript.acts(
      'phone',
      `📱 ${sub}'s phone: “${request.bindingMessage}” ${JSON.stringify(request.authorizationDetails)} → approve`,
    );
    await world.server.approvals.approve(request.id);
  };
}

/** Prints where to decide, then waits until a person approves or denies in the inbox page (or the request expires). */
export function waitForPerson(world: DemoWorld, transcript: Transcript, pollMs = 500): ApprovalDecider {
  return async ({ sub, bindingMessage }) => {
    const request = await world.server.approvals.waitFor({ sub, status: 'pending' });
    const user = world.server.users.find((candidate) => candidate.sub === sub);
    const signIn = user ? ` — sign in as ${user.username} (password ${user.password})` : '';
    transcript.acts('you', `open ${world.server.url('/inbox')}${signIn}`);
    transcript.acts('you', `and approve or deny “${bindingMessage}”; waiting for your decision…`);
    for (;;) {
      const current = world.server.approvals.list({ sub }).find((item) => item.id === request.id);
      if (current?.status !== 'pending') {
        transcript.acts('you', `${current?.status ?? 'gone'} in the inbox`);
        return;
      }
      await delay(pollMs);
    }
  };
}
