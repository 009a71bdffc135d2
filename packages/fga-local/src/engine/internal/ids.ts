import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

/** A ULID (what `@openfga/sdk` requires for store and model ids), monotonic within one millisecond. */
export function ulid(now: number): string {
  let random: number[];
  if (now <= lastTime) {
    random = lastRandom.slice();
    for (let index = random.length - 1; index >= 0; index--) {
      const digit = random[index] as number;
      if (digit < 31) {
        random[index] = digit + 1;
        break;
      }
      random[index] = 0;
    }
    now = lastTime;
  } else {
    random = Array.from(randomBytes(16), (byte) => byte & 31);
    random[0] = (random[0] as number) & 15;
  }
  lastTime = now;
  lastRandom = random;
  let time = '';
  let remaining = now;
  for (let index = 0; index < 10; index++) {
    time = ALPHABET[remaining % 32] + time;
    remaining = Math.floor(remaining / 32);
  }
  return time + random.map((digit) => ALPHABET[digit]).join('');
}

/** Opaque continuation tokens: base64url JSON. */
export function encodeToken(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeToken(token: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
