import { timingSafeEqual } from 'node:crypto';
import type { DevUser } from '../types';

/** Looks seeded users up by subject or by login name. */
export class AccountDirectory {
  readonly #bySub = new Map<string, DevUser>();
  readonly #byName = new Map<string, DevUser>();

  constructor(users: DevUser[]) {
    for (const user of users) {
      this.#bySub.set(user.sub, user);
      this.#byName.set(user.username.toLowerCase(), user);
      this.#byName.set(user.email.toLowerCase(), user);
    }
  }

  bySub(sub: string): DevUser | undefined {
    return this.#bySub.get(sub);
  }

  /** Finds a user by subject, login name or e-mail address. */
  byHint(hint: string): DevUser | undefined {
    return this.#bySub.get(hint) ?? this.#byName.get(hint.toLowerCase());
  }

  /** Finds a user by what the login page accepts: login name or e-mail address (case-insensitive). */
  byLoginName(name: string): DevUser | undefined {
    return this.#byName.get(name.trim().toLowerCase());
  }

  /** Checks a login-name/password pair; compares the password in constant time. */
  verify(username: string, password: string): DevUser | undefined {
    const user = this.byLoginName(username);
    if (!user) return undefined;
    const expected = Buffer.from(user.password);
    const given = Buffer.from(password);
    return expected.length === given.length && timingSafeEqual(expected, given) ? user : undefined;
  }
}
