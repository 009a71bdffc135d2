import type { Adapter, AdapterPayload } from 'oidc-provider';

/** How long an expired entry stays readable, so late polls see `expired_token` rather than "not found". */
const expiredGraceMs = 10 * 60 * 1000;
/** Writes sweep out entries past their grace at most this often, so a long-running server stays bounded. */
const sweepIntervalMs = 60 * 1000;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * Per-server in-memory storage for oidc-provider models. oidc-provider's own memory adapter is a
 * module-level singleton shared by every provider in the process; the dev server keeps one store
 * per instance so parallel servers in one test run never see each other's artifacts.
 */
export function createMemoryAdapterFactory(): ((name: string) => Adapter) & { size(): number } {
  const entries = new Map<string, Entry>();
  const grants = new Map<string, Set<string>>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  let lastSweep = Date.now();

  /** Drops entries past their grace and every index entry that points at nothing any more. */
  const sweep = (now: number) => {
    lastSweep = now;
    for (const [key, entry] of entries) {
      if (entry.expiresAt + expiredGraceMs <= now) entries.delete(key);
    }
    for (const [grantId, members] of grants) {
      for (const key of members) if (!entries.has(key)) members.delete(key);
      if (members.size === 0) grants.delete(grantId);
    }
    for (const index of [sessionUids, userCodes]) {
      for (const [value, key] of index) if (!entries.has(key)) index.delete(value);
    }
  };

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt + expiredGraceMs <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  const factory = (name: string): Adapter => {
    const keyFor = (id: string) => `${name}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyFor(id);
        const now = Date.now();
        if (now - lastSweep >= sweepIntervalMs) sweep(now);
        entries.set(key, { payload, expiresAt: now + (expiresIn ?? 365 * 24 * 3600) * 1000 });
        if (payload.grantId) {
          const members = grants.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          grants.set(payload.grantId, members);
        }
        if (payload.uid) sessionUids.set(keyFor(payload.uid), key);
        if (payload.userCode) userCodes.set(keyFor(payload.userCode), key);
      },
      async find(id) {
        return read(keyFor(id));
      },
      async findByUid(uid) {
        const key = sessionUids.get(keyFor(uid));
        return key === undefined ? undefined : read(key);
      },
      async findByUserCode(userCode) {
        const key = userCodes.get(keyFor(userCode));
        return key === undefined ? undefined : read(key);
      },
      async consume(id) {
        const payload = read(keyFor(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(keyFor(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of grants.get(grantId) ?? []) entries.delete(key);
        grants.delete(grantId);
      },
    };
  };
  return Object.assign(factory, { size: () => entries.size });
}
