import { canonicalJson, type Store, sha256Hex } from '@agentgate/core';
import type { ApprovalChannel, ApprovalStatus, ApprovalView, AuthorizationDetail } from '../types';
import { SlotIndex } from './slot-index';

const PREFIX = 'agentgate:approval:';

/** Whom and what an approval is for. A call unlocks it only if all of it matches. */
export interface Binding {
  iss: string;
  sub: string;
  tenant?: string;
  tool: string;
  argsDigest: string;
  /** `sha256:` of the canonical JSON of the details. */
  detailsDigest: string;
}

/** The record of one approval request. Holds the CIBA `auth_req_id` (a bearer handle): the store must be trusted. */
export interface StoredRecord {
  v: 1;
  id: string;
  channel: ApprovalChannel;
  binding: Binding;
  sessionId: string;
  /** The key a later call with the same arguments in the same session finds this record by. */
  callKey: string;
  /** The id of the tool call the record was requested for (a concurrent identical call joins it). */
  callId?: string;
  guard: string;
  details: AuthorizationDetail[];
  bindingMessage: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms: undecided by then, it is expired. */
  expiresAt: number;
  /** Epoch ms: every key of this record is gone by then. */
  retainUntil: number;
  ciba?: {
    /** Absent until the provider answered the backchannel request. */
    authReqId?: string;
    /** Seconds between polls, as the provider said. */
    interval: number;
    audience: string;
  };
}

/** Written once (`add`): the first decision wins, whoever makes it. */
export interface StoredDecision {
  status: 'approved' | 'denied' | 'expired' | 'failed';
  /** Epoch ms. */
  decidedAt: number;
  reason?: string;
  /** For `failed`: whether the answer could not be trusted (wrong user, different details): a denial, not a fault. */
  untrusted?: boolean;
  /** For `approved`: the nonce of the one ticket this approval issued (a late ticket from a losing poller is not it). */
  ticket?: string;
}

/** What an approved call receives; taken (read and deleted atomically) by the one execution it allows. */
export interface StoredTicket {
  /** Random; the decision names it. */
  nonce: string;
  /** CIBA: the access token that carries the approval. */
  accessToken?: string;
  authorizationDetails: AuthorizationDetail[];
  decidedAt: number;
}

/** A record with its current status. */
export interface RecordState {
  record: StoredRecord;
  status: ApprovalStatus;
  decision?: StoredDecision;
}

/**
 * The store layout of approvals. Keys under `agentgate:approval:`: `record:<id>`, `decision:<id>` (added once),
 * `ticket:<id>` (added before an approval decision, taken by the one execution), `call:<hash>` (the record a call
 * resumes), and the slot index. A status is derived: no decision → pending (or expired past `expiresAt`); an
 * approval whose ticket was taken → consumed.
 */
export class RecordStore {
  readonly #store: Store;
  readonly #now: () => number;
  readonly index: SlotIndex;

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
    this.index = new SlotIndex(store, PREFIX);
  }

  static callKeyOf(binding: Binding, sessionId: string): string {
    return sha256Hex(canonicalJson({ ...binding, sessionId }));
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    const record = await this.#store.get<StoredRecord>(`${PREFIX}record:${id}`);
    return isRecord(record) && record.id === id ? record : undefined;
  }

  async findByCall(callKey: string): Promise<StoredRecord | undefined> {
    const id = await this.#store.get<string>(`${PREFIX}call:${callKey}`);
    return typeof id === 'string' ? this.get(id) : undefined;
  }

  /**
   * Stores a new record and claims its call key. When another call with the same binding claimed it first, the new
   * record is dropped and the existing one returned (`created: false`).
   */
  async create(record: StoredRecord): Promise<{ record: StoredRecord; created: boolean }> {
    const ttl = this.#ttl(record);
    await this.#store.put(`${PREFIX}record:${record.id}`, record, ttl);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.#store.add(`${PREFIX}call:${record.callKey}`, record.id, ttl)) {
        await this.index.append(record.id, ttl.ttlSeconds);
        return { record, created: true };
      }
      const existing = await this.findByCall(record.callKey);
      if (existing) {
        await this.#store.delete(`${PREFIX}record:${record.id}`);
        return { record: existing, created: false };
      }
      // The call key points at a record that is gone (expired between the two reads): free it and try again.
      await this.#store.delete(`${PREFIX}call:${record.callKey}`);
    }
    throw new Error('approval record could not claim its call key');
  }

  async update(record: StoredRecord): Promise<void> {
    await this.#store.put(`${PREFIX}record:${record.id}`, record, this.#ttl(record));
  }

  /** Frees the call key, so the next call with these arguments starts a new approval (after a denial, …). */
  async releaseCall(record: StoredRecord): Promise<void> {
    const id = await this.#store.get<string>(`${PREFIX}call:${record.callKey}`);
    if (id === record.id) await this.#store.delete(`${PREFIX}call:${record.callKey}`);
  }

  async state(record: StoredRecord): Promise<RecordState> {
    let decision = await this.#decision(record.id);
    if (!decision) {
      // An approval that wrote its ticket but not yet its decision (or crashed in between) completes here.
      const ticket = await this.#store.get<StoredTicket>(`${PREFIX}ticket:${record.id}`);
      if (ticket) {
        await this.#store.add(
          `${PREFIX}decision:${record.id}`,
          { status: 'approved', decidedAt: ticket.decidedAt, ticket: ticket.nonce } satisfies StoredDecision,
          this.#ttl(record),
        );
        decision = await this.#decision(record.id);
      }
    }
    if (!decision) {
      return { record, status: this.#now() >= record.expiresAt ? 'expired' : 'pending' };
    }
    if (decision.status !== 'approved') return { record, status: decision.status, decision };
    const ticket = await this.#store.get<StoredTicket>(`${PREFIX}ticket:${record.id}`);
    return { record, status: ticket?.nonce === decision.ticket ? 'approved' : 'consumed', decision };
  }

  /**
   * Records the approval: the ticket first, then the decision, so an approved record always has its ticket until it
   * is used. The approval is this call's when it wrote the ticket and the decision names that ticket — also when a
   * concurrent reader (`state()`) completed the decision from the ticket between the two writes. `false` when another
   * decision won (the ticket written here is withdrawn) or the ticket was another approval's (that one is completed).
   */
  async approve(record: StoredRecord, ticket: StoredTicket): Promise<boolean> {
    const ttl = this.#ttl(record);
    const key = `${PREFIX}ticket:${record.id}`;
    const wroteTicket = await this.#store.add(key, ticket, ttl);
    // A ticket already there was written by another approval (one that crashed before its decision, or a concurrent
    // one): that one is completed, and it is not this call's.
    const nonce = wroteTicket
      ? ticket.nonce
      : ((await this.#store.get<StoredTicket>(key))?.nonce ?? ticket.nonce);
    const added = await this.#store.add(
      `${PREFIX}decision:${record.id}`,
      { status: 'approved', decidedAt: ticket.decidedAt, ticket: nonce } satisfies StoredDecision,
      ttl,
    );
    if (!wroteTicket) return false;
    // The decision names this call's ticket (written here, or completed by a reader in between): never withdraw it.
    if (added || (await this.#decision(record.id))?.ticket === ticket.nonce) return true;
    // Lost to another decision: withdraw the ticket written here. Were it taken meanwhile, its nonce is not the
    // decision's: it unlocks nothing.
    const current = await this.#store.get<StoredTicket>(key);
    if (current?.nonce === ticket.nonce) await this.#store.delete(key);
    return false;
  }

  /** Records a denial, an expiry or a failure; `false` when another decision won. */
  async settle(record: StoredRecord, decision: StoredDecision): Promise<boolean> {
    return this.#store.add(`${PREFIX}decision:${record.id}`, decision, this.#ttl(record));
  }

  /** Takes the ticket the decision names: exactly one caller gets it. */
  async consume(record: StoredRecord, decision: StoredDecision): Promise<StoredTicket | undefined> {
    const ticket = await this.#store.take<StoredTicket>(`${PREFIX}ticket:${record.id}`);
    return ticket !== undefined && ticket.nonce === decision.ticket ? ticket : undefined;
  }

  async #decision(id: string): Promise<StoredDecision | undefined> {
    const decision = await this.#store.get<StoredDecision>(`${PREFIX}decision:${id}`);
    return typeof decision === 'object' && decision !== null && typeof decision.status === 'string'
      ? decision
      : undefined;
  }

  #ttl(record: StoredRecord): { ttlSeconds: number } {
    return { ttlSeconds: Math.max(1, Math.ceil((record.retainUntil - this.#now()) / 1000)) };
  }
}

function isRecord(value: unknown): value is StoredRecord {
  const record = value as Partial<StoredRecord> | undefined;
  return (
    typeof record === 'object' &&
    record !== null &&
    record.v === 1 &&
    typeof record.id === 'string' &&
    typeof record.binding?.sub === 'string' &&
    (record.callId === undefined || typeof record.callId === 'string')
  );
}

/** The JSON-safe view of a record: no `auth_req_id`, no token. */
export function toView(state: RecordState): ApprovalView {
  const { record, status, decision } = state;
  return Object.freeze({
    id: record.id,
    status,
    channel: record.channel,
    tool: record.binding.tool,
    argsDigest: record.binding.argsDigest,
    iss: record.binding.iss,
    sub: record.binding.sub,
    ...(record.binding.tenant === undefined ? {} : { tenant: record.binding.tenant }),
    sessionId: record.sessionId,
    ...(record.callId === undefined ? {} : { callId: record.callId }),
    bindingMessage: record.bindingMessage,
    authorizationDetails: record.details,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
    ...(decision === undefined ? {} : { decidedAt: new Date(decision.decidedAt).toISOString() }),
    ...(decision?.reason === undefined ? {} : { reason: decision.reason }),
  });
}
