const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BEARER = /\b(Bearer|Basic|DPoP)\s+[\w\-.~+/]+=*/gi;
/** Names of fields that hold secrets, in snake_case, camelCase, kebab-case or bare (`token`, `secret`). */
const SECRET_KEY_NAMES =
  '(?:(?:access|refresh|id|subject|actor|session|api|bearer|auth)[_-]?)?token|client[_-]?secret|client[_-]?assertion|' +
  'secret|password|passwd|code[_-]?verifier|api[_-]?key';
/** `key=value`, `key: value`, `"key":"value with spaces"`, `'key': 'value'` — the key optionally quoted. */
const SECRET_PAIR = new RegExp(
  `(["']?)\\b(${SECRET_KEY_NAMES})\\1(\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^"'&\\s,;}]+)`,
  'gi',
);

/** The text every redacted secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Masks what looks like a credential in free text: JWTs, `Bearer …` values and `token=…` / `"client_secret":"…"`
 * pairs. AgentGate runs every error message and audit reason through it.
 *
 * @example redactSecrets('token exchange failed: refresh_token=abc123') // 'token exchange failed: refresh_token=[redacted]'
 */
export function redactSecrets(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(SECRET_PAIR, (_match, quote: string, key: string, separator: string, value: string) => {
      const valueQuote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${quote}${key}${quote}${separator}${valueQuote}${REDACTED}${valueQuote}`;
    });
}

const SECRET_KEY = /token|secret|password|authorization|assertion|api[-_]?key|cookie|credential/i;

/**
 * A deep copy of a JSON-like value with every field whose name looks secret (token, secret, password, authorization,
 * api key, cookie, credential) replaced by `[redacted]`, and every string run through {@link redactSecrets}.
 */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(inner);
    }
    return out;
  }
  return value;
}
