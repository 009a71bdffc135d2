import { boundServerText, isSecretName, redactLiterals } from './redact';
import { SAFE_CAUSE, safeCause } from './safe-cause';

/** Request parameters that carry a credential although their name does not look secret (the authorization code). */
const CREDENTIAL_PARAMETERS = new Set(['code']);

/**
 * For feature packages that talk OAuth: the literal secrets this client sent in its requests — subject token, refresh token, client secret, client
 * assertion, authorization header — recorded as the requests leave, so that whatever a server echoes back of them
 * (`error_description`, an error body, a `WWW-Authenticate` challenge) is masked before it becomes AgentGate text.
 * Recording at the wire catches values the code never holds, such as the `client_assertion` `openid-client` signs.
 */
export class SentSecrets {
  readonly #values = new Set<string>();

  constructor(known: readonly (string | undefined)[] = []) {
    for (const value of known) this.add(value);
  }

  add(value: string | undefined): void {
    if (typeof value === 'string' && value.length > 0) this.#values.add(value);
  }

  /** Records the secret-named parameters of a form or JSON body and the credentials of an `authorization` header. */
  record(init: RequestInit | undefined): void {
    const body = init?.body;
    if (body instanceof URLSearchParams) this.#recordPairs(body.entries());
    else if (typeof body === 'string') {
      const trimmed = body.trimStart();
      if (trimmed.startsWith('{')) this.#recordJson(trimmed);
      else this.#recordPairs(new URLSearchParams(body).entries());
    }
    const authorization = new Headers(init?.headers).get('authorization');
    if (authorization !== null) this.#recordAuthorization(authorization);
  }

  /**
   * Masks every recorded value (any spelling `redactLiterals` knows: encoded, any case, runs of 12 or more of its
   * characters), then whatever `redactSecrets` masks, then bounds the text (`boundServerText`: no control or format
   * characters, at most 512 characters).
   */
  scrub(text: string): string {
    return boundServerText(redactLiterals(text, [...this.#values]));
  }

  /**
   * `error` reduced to a safe cause chain (core's `safeCause`: name, code, message, status, OAuth `error` /
   * `error_description`) with every recorded value masked in each of them. Marked safe, so AgentGate errors keep it.
   */
  scrubCause(error: unknown): Error | undefined {
    const safe = safeCause(error);
    return safe === undefined ? undefined : this.#copy(safe, 0);
  }

  #copy(error: Error, depth: number): Error {
    const inner = depth < 5 && error.cause instanceof Error ? this.#copy(error.cause, depth + 1) : undefined;
    const copy = new Error(this.scrub(error.message), inner === undefined ? undefined : { cause: inner });
    copy.name = error.name;
    const facts = error as unknown as Record<string, unknown>;
    for (const key of ['code', 'status', 'error', 'error_description']) {
      const value = facts[key];
      if (typeof value === 'number') Object.assign(copy, { [key]: value });
      else if (typeof value === 'string') Object.assign(copy, { [key]: this.scrub(value) });
    }
    copy.stack = typeof error.stack === 'string' ? this.scrub(error.stack) : copy.stack;
    Object.defineProperty(copy, SAFE_CAUSE, { value: true });
    return copy;
  }

  #recordPairs(pairs: Iterable<[string, string]>): void {
    for (const [name, value] of pairs) {
      if (isSecretName(name) || CREDENTIAL_PARAMETERS.has(name)) this.add(value);
    }
  }

  #recordJson(body: string): void {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null) return;
      this.#recordPairs(
        Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
    } catch {
      // Not JSON after all: nothing to record.
    }
  }

  #recordAuthorization(header: string): void {
    this.add(header);
    const [scheme = '', credentials = ''] = header.split(/\s+/, 2);
    this.add(credentials);
    if (scheme.toLowerCase() !== 'basic') return;
    let decoded: string;
    try {
      decoded = atob(credentials);
    } catch {
      return;
    }
    const separator = decoded.indexOf(':');
    if (separator < 0) return;
    // RFC 6749 §2.3.1: the id and the secret are form-encoded before base64; the server may echo either spelling.
    const secret = decoded.slice(separator + 1);
    this.add(secret);
    try {
      this.add(decodeURIComponent(secret.replaceAll('+', ' ')));
    } catch {
      // Not form-encoded: the raw spelling is recorded already.
    }
  }
}
