import { type Sealed, SealedBox } from './sealed-box';

/** One connected account as the vault keeps it: tokens only in sealed form. */
export interface ConnectionRecord {
  readonly sub: string;
  readonly connection: string;
  readonly scopes: readonly string[];
  readonly connectedAt: number;
  readonly refreshToken: Sealed;
  readonly accessToken?: {
    readonly sealed: Sealed;
    readonly expiresAt: number;
    readonly lifetimeSeconds: number;
  };
}

/** Plain tokens handed to and from the store; they never sit in a record unsealed. */
export interface ConnectionTokens {
  readonly refreshToken: string;
  readonly accessToken?: {
    readonly value: string;
    readonly expiresAt: number;
    readonly lifetimeSeconds: number;
  };
}

function recordKey(sub: string, connection: string): string {
  return JSON.stringify([sub, connection]);
}

/** In-memory store of connected accounts, per user (`sub`) and connection, encrypted at rest. */
export class ConnectionStore {
  readonly #records = new Map<string, ConnectionRecord>();
  readonly #box = new SealedBox();

  get(sub: string, connection: string): ConnectionRecord | undefined {
    return this.#records.get(recordKey(sub, connection));
  }

  list(sub: string): ConnectionRecord[] {
    return [...this.#records.values()].filter((record) => record.sub === sub);
  }

  put(
    sub: string,
    connection: string,
    scopes: readonly string[],
    tokens: ConnectionTokens,
    connectedAt = Date.now(),
  ): ConnectionRecord {
    const key = recordKey(sub, connection);
    const record: ConnectionRecord = {
      sub,
      connection,
      scopes: [...scopes].sort(),
      connectedAt,
      refreshToken: this.#box.seal(tokens.refreshToken, `${key}:refresh`),
      ...(tokens.accessToken
        ? {
            accessToken: {
              sealed: this.#box.seal(tokens.accessToken.value, `${key}:access`),
              expiresAt: tokens.accessToken.expiresAt,
              lifetimeSeconds: tokens.accessToken.lifetimeSeconds,
            },
          }
        : {}),
    };
    this.#records.set(key, record);
    return record;
  }

  /** The plain tokens of a record, for the moment they are used. */
  open(record: ConnectionRecord): ConnectionTokens {
    const key = recordKey(record.sub, record.connection);
    return {
      refreshToken: this.#box.open(record.refreshToken, `${key}:refresh`),
      ...(record.accessToken
        ? {
            accessToken: {
              value: this.#box.open(record.accessToken.sealed, `${key}:access`),
              expiresAt: record.accessToken.expiresAt,
              lifetimeSeconds: record.accessToken.lifetimeSeconds,
            },
          }
        : {}),
    };
  }

  delete(sub: string, connection: string): boolean {
    return this.#records.delete(recordKey(sub, connection));
  }

  /** Every record exactly as held in memory (what a heap dump would show). */
  snapshot(): ConnectionRecord[] {
    return structuredClone([...this.#records.values()]);
  }

  clear(): void {
    this.#records.clear();
  }
}
