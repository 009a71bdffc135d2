import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ApprovalFilter, ApprovalItem, DevApprovals } from '../types';
import { parseAuthorizationDetails } from './authorization-details';

const oidcScopes = new Set(['openid', 'offline_access', 'profile', 'email']);

interface ApprovalRecord {
  item: Omit<ApprovalItem, 'status'> & { decided?: 'approved' | 'denied' };
  /** Set synchronously when a decision starts, so a second one (approve vs. deny) cannot also run. */
  deciding?: 'approved' | 'denied';
  requestId: string;
  resource: string[];
}

/** Who decided and how they authenticated; goes into the tokens' `acr`/`amr`/`auth_time`. */
export interface ApprovalAuthentication {
  acr: string;
  amr: string[];
  authTime: number;
}

interface Waiter {
  filter: ApprovalFilter;
  resolve(item: ApprovalItem): void;
  reject(error: Error): void;
}

/** Minimal view of a BackchannelAuthenticationRequest this registry reads. */
export interface BackchannelRequestView {
  jti: string;
  accountId?: string;
  clientId?: string;
  scope?: string;
  exp?: number;
  iat?: number;
  expiration?: number;
  resource?: string | string[];
  params?: { [key: string]: unknown };
}

function matches(item: ApprovalItem, filter: ApprovalFilter): boolean {
  return (
    (filter.sub === undefined || item.sub === filter.sub) &&
    (filter.clientId === undefined || item.clientId === filter.clientId) &&
    (filter.status === undefined || item.status === filter.status)
  );
}

/** Keeps the CIBA requests raised on this server and decides them through `provider.backchannelResult`. */
export class ApprovalRegistry implements DevApprovals {
  readonly #records = new Map<string, ApprovalRecord>();
  readonly #waiters = new Set<Waiter>();
  readonly #provider: () => Provider;
  readonly #apiScopes: Set<string>;

  constructor(options: { provider: () => Provider; apiScopes: string[] }) {
    this.#provider = options.provider;
    this.#apiScopes = new Set(options.apiScopes);
  }

  /** Called from `features.ciba.triggerAuthenticationDevice`. */
  register(request: BackchannelRequestView, clientName: string): ApprovalItem {
    const params = request.params ?? {};
    const bindingMessage = typeof params.binding_message === 'string' ? params.binding_message : undefined;
    const record: ApprovalRecord = {
      requestId: request.jti,
      resource: request.resource === undefined ? [] : [request.resource].flat(),
      item: {
        id: randomUUID(),
        sub: request.accountId ?? '',
        clientId: request.clientId ?? '',
        clientName,
        ...(bindingMessage === undefined ? {} : { bindingMessage }),
        authorizationDetails: parseAuthorizationDetails(params.authorization_details),
        scope: request.scope ?? '',
        expiresAt: request.exp ?? (request.iat ?? Math.floor(Date.now() / 1000)) + (request.expiration ?? 0),
      },
    };
    this.#records.set(record.item.id, record);
    const item = this.#view(record);
    for (const waiter of this.#waiters) {
      if (matches(item, waiter.filter)) {
        this.#waiters.delete(waiter);
        waiter.resolve(item);
      }
    }
    return item;
  }

  list(filter: ApprovalFilter = {}): ApprovalItem[] {
    return [...this.#records.values()]
      .map((record) => this.#view(record))
      .filter((item) => matches(item, filter));
  }

  get(id: string): ApprovalItem | undefined {
    const record = this.#records.get(id);
    return record ? this.#view(record) : undefined;
  }

  approve(id: string, authentication?: ApprovalAuthentication): Promise<ApprovalItem> {
    return this.#decide(id, 'approved', authentication);
  }

  deny(id: string): Promise<ApprovalItem> {
    return this.#decide(id, 'denied');
  }

  waitFor(filter: ApprovalFilter & { timeoutMs?: number } = {}): Promise<ApprovalItem> {
    const { timeoutMs = 10_000, ...rest } = filter;
    const existing = this.list({ status: 'pending', ...rest })[0];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no approval request arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        filter: rest,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Rejects every pending `waitFor` (and clears its timer): the server is closing. */
  close(): void {
    for (const waiter of this.#waiters) {
      waiter.reject(new Error('the dev server closed while waiting for an approval request'));
    }
    this.#waiters.clear();
  }

  #view(record: ApprovalRecord): ApprovalItem {
    const { decided, ...item } = record.item;
    const status =
      decided ??
      (item.expiresAt !== 0 && item.expiresAt <= Math.floor(Date.now() / 1000) ? 'expired' : 'pending');
    return { ...item, status };
  }

  async #decide(
    id: string,
    decision: 'approved' | 'denied',
    authentication?: ApprovalAuthentication,
  ): Promise<ApprovalItem> {
    const record = this.#records.get(id);
    if (!record) throw new Error(`approval request '${id}' not found`);
    const current = this.#view(record);
    if (current.status !== 'pending') throw new Error(`approval request '${id}' is ${current.status}`);
    if (record.deciding) throw new Error(`approval request '${id}' is already being ${record.deciding}`);
    // Claimed before the first await: a concurrent approve/deny sees it and throws (the inbox answers 409).
    record.deciding = decision;
    try {
      await this.#send(record, decision, authentication);
    } catch (error) {
      delete record.deciding;
      throw error;
    }
    record.item.decided = decision;
    return this.#view(record);
  }

  async #send(
    record: ApprovalRecord,
    decision: 'approved' | 'denied',
    authentication?: ApprovalAuthentication,
  ): Promise<void> {
    const provider = this.#provider();
    const request = await provider.BackchannelAuthenticationRequest.find(record.requestId, {
      ignoreExpiration: true,
    });
    if (!request) throw new Error(`approval request '${record.item.id}' is no longer known to the server`);

    if (decision === 'denied') {
      const denial = new errors.AccessDenied('the end-user denied the request');
      // backchannelResult stores the description as `error_description`, a field the request model does
      // not persist; the poll reads `errorDescription`. Set it here so the client learns why.
      Object.assign(request, { errorDescription: denial.error_description });
      await provider.backchannelResult(request, denial);
      return;
    }
    const scopes = (record.item.scope || '').split(' ').filter(Boolean);
    const grant = new provider.Grant({ accountId: record.item.sub, clientId: record.item.clientId });
    const requestedOidc = scopes.filter((scope) => oidcScopes.has(scope));
    if (requestedOidc.length > 0) grant.addOIDCScope(requestedOidc.join(' '));
    const apiScopes = scopes.filter((scope) => this.#apiScopes.has(scope));
    for (const resource of record.resource) {
      if (apiScopes.length > 0) grant.addResourceScope(resource, apiScopes.join(' '));
    }
    const details = record.item.authorizationDetails;
    for (const detail of details) grant.addRar(detail as { type: string });
    await grant.save();
    const now = Math.floor(Date.now() / 1000);
    const { acr, amr, authTime } = authentication ?? {
      acr: 'urn:agentgate:loa:2',
      amr: ['hwk'],
      authTime: now,
    };
    await provider.backchannelResult(request, grant, {
      acr,
      amr,
      authTime,
      ...(details.length > 0 ? { rar: details as { type: string }[] } : {}),
    });
  }
}
