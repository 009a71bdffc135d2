import type { Adapter, AdapterPayload } from 'oidc-provider';

/** How long an expired entry stays readable, so late polls see `expired_token` rather than "not found". */
const expiredGraceMs = 10 * 60 * 1000;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * Per-server in-memory storage for oidc-provider models. oidc-provider's own memory adapter is a
 * module-level singleton shared by every provider in the process; the dev server keeps one store
 * per instance so parallel servers in one test run never see each other's artifacts.
 */
export function createMemoryAdapterFactory(): (name: string) => Adapter {
  const entries = new Map<string, Entry>();
  const grants = new Map<string, Set<string>>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt + expiredGraceMs <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return (name: string): Adapter => {
    const keyFor = (id: string) => `${name}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyFor(id);
        entries.set(key, { payload, expiresAt: Date.now() + (expiresIn ?? 365 * 24 * 3600) * 1000 });
        if (payload.grantId) {
          const members = grants.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          grants.set(payload.grantId, members);
        }
        if (payload.uid) sessionUids.set(payload.uid, id);
        if (payload.userCode) userCodes.set(payload.userCode, id);
      },
      async find(id) {
        return read(keyFor(id));
      },
      async findByUid(uid) {
        const id = sessionUids.get(uid);
        return id === undefined ? undefined : read(keyFor(id));
      },
      async findByUserCode(userCode) {
        const id = userCodes.get(userCode);
        return id === undefined ? undefined : read(keyFor(id));
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
}
