import type { Approvals } from '@agentgate/approval';
import type { Gate } from '@agentgate/core';

/**
 * How an interrupt (connect an account, approval pending, step-up) reaches the app: `'auto'` — a LangGraph
 * interrupt inside a LangGraph run with a checkpointer, else a tool message; `'langgraph'` — always a LangGraph
 * interrupt (a call outside such a run is a `TypeError`); `'tool-message'` — always a tool message the model reads.
 */
export type InterruptMode = 'auto' | 'langgraph' | 'tool-message';

/** What every part of the adapter is built on. */
export interface LangChainAuthOptions {
  /** The gate every call passes through. */
  gate: Gate;
  /** Needed to decide in-app approvals from a LangGraph resume value (`Command({ resume: { approve: true } })`). */
  approvals?: Approvals;
  /** @default 'auto' */
  interrupts?: InterruptMode;
}
