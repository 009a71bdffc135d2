import type { Approvals } from '@agentgate/approval';
import {
  type AgentSession,
  type AnyGateDenied,
  type AnyGateInterrupt,
  type Gate,
  type GateCall,
  GateDenied,
  type Guard,
  isGateDecision,
  isInterruptCode,
  type ToolExecute,
} from '@agentgate/core';
import type { RunnableConfig } from '@langchain/core/runnables';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import type { InterruptMode } from '../types';

/** The outcome of a call through the gate: its result, or the decision that stopped it (never thrown). */
export type GatedOutcome<Result> =
  | { ok: true; value: Result; decision?: never }
  | { ok: false; decision: AnyGateDenied | AnyGateInterrupt; value?: never };

export interface GatedCallInput<Args, Result> {
  gate: Gate;
  approvals: Approvals | undefined;
  interrupts: InterruptMode;
  call: GateCall<Args>;
  /** Resolved again on every pass: a resumed run brings its own config (a new session after a step-up). */
  session: () => AgentSession | undefined;
  guards: readonly Guard<Args>[];
  execute: ToolExecute<Args, Result>;
  /** The run's config: where LangGraph keeps the interrupt scratchpad. */
  config: RunnableConfig | undefined;
}

/** What a LangChain UI sees besides `agentgate`: LangChain's own human-in-the-loop request, for in-app approvals. */
interface InterruptValue {
  agentgate: ReturnType<AnyGateInterrupt['toJSON']>;
  actionRequests?: { name: string; args: unknown; description: string }[];
  reviewConfigs?: { actionName: string; allowedDecisions: ('approve' | 'reject')[] }[];
}

/**
 * Runs one call through `gate.run`. A denial, and an interrupt outside LangGraph, come back as the decision. Inside
 * a LangGraph run with a checkpointer, an interrupt becomes `interrupt({ agentgate })`; the resume value decides an
 * in-app approval (through `approvals.decide`, for the run's user) or asks to retry, and the call goes through the
 * gate again. `APPROVAL_DENIED` and `APPROVAL_EXPIRED` end the call: the model is told.
 */
export async function runGatedCall<Args, Result>(
  input: GatedCallInput<Args, Result>,
): Promise<GatedOutcome<Result>> {
  const { gate, call, guards, execute, config } = input;
  const inGraph = canInterrupt(input.interrupts, config);
  // A node re-runs from its start on resume: an approval created after this moment is one no human has seen yet.
  const passStartedAt = Date.now();
  for (;;) {
    const session = input.session();
    let decision: AnyGateDenied | AnyGateInterrupt;
    try {
      return { ok: true, value: await gate.run(call, session, guards, execute) };
    } catch (error) {
      if (!isGateDecision(error)) throw error;
      decision = error;
    }
    if (!isInterruptCode(decision.code) || !inGraph) return { ok: false, decision };
    if (decision.code === 'APPROVAL_DENIED' || decision.code === 'APPROVAL_EXPIRED')
      return { ok: false, decision };
    const interruptDecision = decision as AnyGateInterrupt;
    const resume = await raiseInterrupt(interruptValue(interruptDecision, call), config);
    // Only the newest answer decides: an older one is replayed because the node re-ran, and what it answered was
    // applied (or not) in the pass that showed it.
    const answer = isFreshAnswer(config) ? readResume(resume) : 'retry';
    const inApp =
      interruptDecision.code === 'APPROVAL_PENDING' &&
      interruptDecision.details.channel === 'in-app' &&
      typeof interruptDecision.details.approvalId === 'string';
    if (inApp && answer !== 'retry') {
      const approvalId = interruptDecision.details.approvalId as string;
      const refused = await decide(input.approvals, approvalId, session, answer, {
        named: (resume as { approvalId?: unknown }).approvalId,
        passStartedAt,
      });
      if (refused) return { ok: false, decision: refused };
    } else if (answer === 'deny') {
      // The user declined to connect, approve on the device or sign in again: the model is told.
      return { ok: false, decision };
    }
  }
}

/** `'auto'`: a LangGraph run with a checkpointer; `'langgraph'` insists on one; `'tool-message'` never interrupts. */
function canInterrupt(mode: InterruptMode, config: RunnableConfig | undefined): boolean {
  if (mode === 'tool-message') return false;
  const configurable = config?.configurable as Record<string, unknown> | undefined;
  const inGraph = Boolean(configurable?.__pregel_scratchpad && configurable.__pregel_checkpointer);
  if (mode === 'langgraph' && !inGraph) {
    throw new TypeError(
      "interrupts: 'langgraph' needs a LangGraph run with a checkpointer (this call is not in one)",
    );
  }
  return inGraph;
}

function interruptValue(decision: AnyGateInterrupt, call: GateCall<unknown>): InterruptValue {
  const value: InterruptValue = { agentgate: decision.toJSON() };
  if (decision.code === 'APPROVAL_PENDING' && decision.details.channel === 'in-app') {
    const name = call.tool.name;
    const description = decision.details.bindingMessage;
    value.actionRequests = [
      {
        name,
        args: call.args,
        description: typeof description === 'string' ? description : decision.message,
      },
    ];
    value.reviewConfigs = [{ actionName: name, allowedDecisions: ['approve', 'reject'] }];
  }
  return value;
}

let langgraph: Promise<{ interrupt: (value: unknown) => unknown }> | undefined;

/** LangGraph's `interrupt()`, in the run's config: throws the first time, returns the resume value on resume. */
async function raiseInterrupt(value: InterruptValue, config: RunnableConfig | undefined): Promise<unknown> {
  langgraph ??= import('@langchain/langgraph').catch((error: unknown) => {
    langgraph = undefined;
    throw new Error('AgentGate: LangGraph interrupts need @langchain/langgraph installed', { cause: error });
  });
  const { interrupt } = await langgraph;
  return AsyncLocalStorageProviderSingleton.runWithConfig(config ?? {}, () => interrupt(value));
}

type Answer = 'approve' | 'deny' | 'retry';

/** Whether the value `interrupt()` just returned is the newest resume value of the task (LangGraph's scratchpad). */
function isFreshAnswer(config: RunnableConfig | undefined): boolean {
  const scratchpad = (config?.configurable as Record<string, unknown> | undefined)?.__pregel_scratchpad as
    | { interruptCounter?: unknown; resume?: unknown; nullResume?: unknown }
    | undefined;
  // LangGraph internals (1.x): should they change, no answer is read as one, and the run stops with this error.
  if (!Array.isArray(scratchpad?.resume) || typeof scratchpad.interruptCounter !== 'number') {
    throw new Error(
      'AgentGate: cannot tell which resume value answers this interrupt (this @langchain/langgraph keeps its task ' +
        'scratchpad differently than the 1.x versions AgentGate supports); nothing was decided and the tool did not run',
    );
  }
  // A newer answer still waiting (`nullResume`) means this one was replayed.
  return scratchpad.interruptCounter === scratchpad.resume.length - 1 && scratchpad.nullResume === undefined;
}

/**
 * The resume value: LangChain's HITL response `{ decisions: [{ type }] }`, `{ approve: boolean }`, or `{ decision }`
 * (`approve(d)` / `deny`, `denied`, `reject(ed)`); anything else (e.g. `{ retry: true }`) only asks to go through the
 * gate again. An `edit` is a rejection: edited arguments need an approval of their own.
 */
function readResume(resume: unknown): Answer {
  if (typeof resume !== 'object' || resume === null) return 'retry';
  const { approve, decision, decisions } = resume as {
    approve?: unknown;
    decision?: unknown;
    decisions?: unknown;
  };
  if (typeof approve === 'boolean') return approve ? 'approve' : 'deny';
  const word = Array.isArray(decisions) ? (decisions[0] as { type?: unknown } | undefined)?.type : decision;
  if (word === 'approve' || word === 'approved') return 'approve';
  if (word === 'deny' || word === 'denied' || word === 'reject' || word === 'rejected' || word === 'edit')
    return 'deny';
  return 'retry';
}

/**
 * Decides a pending in-app approval as the run's user; a refusal (another user's, no approvals, a session that no
 * longer stands) is the outcome. An answer applies only to the approval the human was shown: one named by the resume
 * value (`approvalId`) must match, and one created during this pass (e.g. for another user resuming the thread) is
 * left pending, so the call interrupts again and shows it. With parallel calls, a plain resume value reaches each of
 * them (LangGraph): apps resume by interrupt id there (see the README).
 */
async function decide(
  approvals: Approvals | undefined,
  approvalId: string,
  session: AgentSession | undefined,
  answer: 'approve' | 'deny',
  shown: { named: unknown; passStartedAt: number },
): Promise<AnyGateDenied | AnyGateInterrupt | undefined> {
  if (!approvals) {
    return new GateDenied(
      'FORBIDDEN',
      'an in-app approval was answered, but no approvals were given to the AgentGate LangChain adapter',
    ) as AnyGateDenied;
  }
  if (!session)
    return new GateDenied('NO_SESSION', 'no session to decide the approval with') as AnyGateDenied;
  if (shown.named !== undefined && shown.named !== approvalId) return undefined;
  const view = await approvals.get(approvalId);
  if (!view || Date.parse(view.createdAt) >= shown.passStartedAt) return undefined;
  // Replayed resume values (a node re-runs from its start) find the approval decided already: nothing to do.
  if (view.status !== 'pending') return undefined;
  try {
    await approvals.decide(approvalId, { session, decision: answer });
    return undefined;
  } catch (error) {
    // A refusal, or the deciding user must sign in again (`revalidate()`): the model is told, nothing runs.
    if (isGateDecision(error)) return error as AnyGateDenied | AnyGateInterrupt;
    throw error;
  }
}
