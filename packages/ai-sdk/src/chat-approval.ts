import type { ApprovalGuardOptions, Approvals, ApprovalView } from '@agentgate/approval';
import {
  type AgentSession,
  assertKnownOptions,
  GateDenied,
  type Guard,
  type GuardContext,
  isGateInterrupt,
} from '@agentgate/core';
import { type BridgeInput, type ChatApprovalBridge, chatApprovals } from './internal/registry';

/** Options of `auth.approval()`: what the user approves, and how a background session asks. */
export interface ChatApprovalOptions<Args = unknown>
  extends Pick<ApprovalGuardOptions<Args>, 'details' | 'bindingMessage' | 'when' | 'requestedExpiry'> {
  /**
   * How a background session (no one in the chat) asks: `'ciba'` on the user's device through the approval package's
   * CIBA channel (needs `createApprovals({ ciba })`), or `'in-app'` (the call interrupts until the user decides in
   * the app). @default 'ciba'
   */
  background?: 'ciba' | 'in-app';
  /** CIBA for background sessions: `'wait'` blocks the call until decided; `'interrupt'` returns APPROVAL_PENDING. @default 'wait' */
  backgroundMode?: 'wait' | 'interrupt';
  /** `backgroundMode: 'wait'`: the longest a call blocks, in ms. @default until the request expires */
  timeoutMs?: number;
  /** CIBA `scope`. @default ['openid'] */
  scopes?: readonly string[];
  /** CIBA `audience`. @default the approvals' `ciba.audience` */
  audience?: string;
  /** Shown in audit events. @default 'approval(ai-sdk)' */
  name?: string;
}

const OPTIONS = [
  'details',
  'bindingMessage',
  'when',
  'requestedExpiry',
  'background',
  'backgroundMode',
  'timeoutMs',
  'scopes',
  'audience',
  'name',
] as const;

/**
 * @internal Builds the guard of `auth.approval()`: interactive sessions use an in-app approval the AI SDK's own chat
 * approval decides (through `agentGateToolApproval`), background sessions CIBA (or in-app).
 */
export function createChatApproval<Args>(
  approvals: Approvals,
  options: ChatApprovalOptions<Args>,
): Guard<Args> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('auth.approval: options must be { details, bindingMessage, … }');
  }
  assertKnownOptions('auth.approval', options, OPTIONS);
  const { background = 'ciba', backgroundMode = 'wait', timeoutMs, scopes, audience } = options;
  if (background !== 'ciba' && background !== 'in-app') {
    throw new TypeError("auth.approval: background must be 'ciba' or 'in-app'");
  }
  if (backgroundMode !== 'wait' && backgroundMode !== 'interrupt') {
    throw new TypeError("auth.approval: backgroundMode must be 'wait' or 'interrupt'");
  }
  const name = options.name ?? 'approval(ai-sdk)';
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('auth.approval: name must be a non-empty string');
  const common = {
    details: options.details,
    bindingMessage: options.bindingMessage,
    ...(options.when === undefined ? {} : { when: options.when }),
    ...(options.requestedExpiry === undefined ? {} : { requestedExpiry: options.requestedExpiry }),
  };
  const inApp = approvals.guard<Args>({ ...common, channel: 'in-app', mode: 'interrupt', name });
  const inBackground =
    background === 'in-app'
      ? inApp
      : approvals.guard<Args>({
          ...common,
          channel: 'ciba',
          mode: backgroundMode,
          name,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(scopes === undefined ? {} : { scopes }),
          ...(audience === undefined ? {} : { audience }),
        });

  const guard: Guard<Args> = Object.freeze({
    name,
    kind: 'approval',
    check: (context: GuardContext<Args>) =>
      (context.session.mode === 'background' ? inBackground : inApp).check(context),
  });

  const bridge: ChatApprovalBridge = {
    async request(input) {
      const existing = await findInAppApproval(approvals, input);
      if (existing?.status === 'approved') return 'not-applicable'; // the call consumes it when it runs
      if (existing?.status === 'pending') return { type: 'user-approval', reason: existing.bindingMessage };
      // A call asked again after a "no" (or after its approval expired) is asked again: the first check reports the
      // old decision and frees the arguments for a new request, the second creates it.
      const attempts = existing?.status === 'denied' || existing?.status === 'expired' ? 2 : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          // Creates the pending in-app approval, bound to the user, the session, the tool and the argument digest.
          await inApp.check(requestContext<Args>(input));
          return 'not-applicable'; // `when()` says these arguments need no approval
        } catch (error) {
          if (isGateInterrupt(error) && error.code === 'APPROVAL_PENDING') {
            const message = (error.details as { bindingMessage?: unknown }).bindingMessage;
            return typeof message === 'string' ? { type: 'user-approval', reason: message } : 'user-approval';
          }
          const settled =
            isGateInterrupt(error) && (error.code === 'APPROVAL_DENIED' || error.code === 'APPROVAL_EXPIRED');
          if (settled && attempt < attempts) continue;
          // Any other decision: the gate reaches it again when the tool runs, records it and returns it to the UI.
          return 'not-applicable';
        }
      }
    },
    async approve(input) {
      const pending = await findInAppApproval(approvals, input);
      // Only an approval requested for this very tool call — so for exactly these arguments, this user and this
      // session: anything else stays undecided, and the call interrupts with its own pending approval. An old "yes"
      // sent again (a replayed history) answers its own call, which has run, never a newer request.
      if (pending?.status !== 'pending' || pending.callId !== input.callId) return;
      try {
        await approvals.decide(pending.id, { session: input.session, decision: 'approve' });
      } catch {
        // Decided meanwhile, expired, or refused: the guard then tells the call what the record says.
      }
    },
    async deny(input) {
      const pending = await findInAppApproval(approvals, input);
      // The same binding as a "yes": a "no" for another call (an old one sent again), other arguments, another session
      // or another user denies nothing.
      if (pending?.status !== 'pending' || pending.callId !== input.callId) return;
      try {
        await approvals.decide(pending.id, { session: input.session, decision: 'deny' });
      } catch {
        // Decided meanwhile, expired, or refused: the record keeps what it says.
      }
    },
  };
  chatApprovals.set(guard, bridge);
  return guard;
}

/** The newest in-app approval of this user, session, tool and argument digest. */
async function findInAppApproval(
  approvals: Approvals,
  input: BridgeInput,
): Promise<ApprovalView | undefined> {
  const { session } = input;
  const views = await approvals.list({ sub: session.user.sub, channel: 'in-app' });
  return views.findLast(
    (view) =>
      view.iss === session.user.iss &&
      view.tenant === session.tenant &&
      view.sessionId === session.id &&
      view.tool === input.tool.name &&
      view.argsDigest === input.argsDigest,
  );
}

/** The guard context of an approval request made before the call runs: nothing may be attached to it. */
function requestContext<Args>(input: BridgeInput): GuardContext<Args> {
  return {
    session: input.session as AgentSession,
    tool: input.tool,
    args: input.args as Args,
    argsDigest: input.argsDigest,
    callId: input.callId,
    setCredential() {
      throw new GateDenied('FORBIDDEN', 'an approval request cannot run the tool');
    },
    annotate() {},
  };
}
