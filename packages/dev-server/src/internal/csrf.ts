import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens for the dev server's own HTML forms (approval inbox, connections page): an HMAC over
 * the signed-in session and what the form does, under a secret generated at start. Another site can
 * neither read nor compute one, so a cross-site form post cannot carry it.
 */
export class CsrfTokens {
  readonly #secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  /** The token for `purpose` (e.g. an approval id) in `session` (a session identifier). */
  token(session: string, purpose: string): string {
    return createHmac('sha256', this.#secret).update(`${session}:${purpose}`).digest('base64url');
  }

  /** Whether `given` is the token for `purpose` in `session` (constant-time comparison). */
  verify(given: unknown, session: string, purpose: string): boolean {
    if (typeof given !== 'string') return false;
    const left = Buffer.from(given);
    const right = Buffer.from(this.token(session, purpose));
    return left.length === right.length && timingSafeEqual(left, right);
  }
}
