/** The text every redacted secret is replaced with. */
export const REDACTED = '[redacted]';

/** What stands in for the part of a value past {@link redactValue}'s depth or size bound. */
export const TRUNCATED = '[truncated]';

/**
 * The one list of secret-looking names, shared by key redaction ({@link redactValue}) and text redaction
 * ({@link redactSecrets}). A name is split into words (snake_case, camelCase, kebab-case, dots, spaces):
 * - a *strong* word anywhere makes it secret (`password_hash`, `clientSecretValue`, `x-api-key`);
 * - a *weak* word makes it secret only as the last word (`refresh_token`, `pin`, `otp`, `Authorization`) — so
 *   `token_type`, `subject_token_type`, `token_endpoint` and `authorization_details` stay readable;
 * - two-word pairs count as one word (`api key`, `private key`, `code verifier`).
 */
const STRONG_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'apikey',
  'privatekey',
  'accesskey',
  'secretkey',
  'signingkey',
  'codeverifier',
  'encryptionkey',
  'masterkey',
  'hmackey',
  'sshkey',
  'sessionkey',
  'seedphrase',
  'mnemonic',
  'connectionstring',
  'databaseurl',
  'passcode',
  'securitycode',
  'authorizationcode',
  'devicecode',
  'apikeys',
]);
/**
 * A strong word does not make a name secret when the name ends in one of these: it describes the secret, it is not
 * the secret (`password_reset_required`, `client_secret_expires_at`, `access_key_id`, `secret_name`).
 */
const METADATA_ENDINGS = new Set([
  'required',
  'set',
  'changed',
  'reset',
  'expired',
  'expires',
  'expiry',
  'at',
  'length',
  'policy',
  'id',
  'name',
  'type',
  'hint',
  'enabled',
  'count',
  'rotated',
  'updated',
  'created',
  'exists',
  'age',
  'version',
]);
/** A weak last word after one of these is a cursor or a count, not a credential (`next_page_token`). */
const NON_CREDENTIAL_PREFIXES = new Set([
  'page',
  'next',
  'continuation',
  'cursor',
  'sync',
  'pagination',
  'resume',
]);
const WEAK_WORDS = new Set([
  'authorization',
  'assertion',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'token',
  'pwd',
  'otp',
  'totp',
  'hotp',
  'pin',
  'cvv',
  'cvc',
  'mfacode',
  'otpcode',
  'pincode',
  'authcode',
  'recoverycode',
  'backupcode',
  'verificationcode',
  'bearer',
  'jwt',
  'dsn',
]);
/** Lower-case run-together spellings (`accesstoken`, `clientsecret`) are caught by these endings and parts. */
const JOINED_ENDINGS = ['token', 'password', 'passwd', 'apikey', 'privatekey', 'otp', 'pin'];

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/**
 * Whether a field or parameter name looks like it holds a secret (`refresh_token`, `clientSecret`, `passwd`,
 * `private_key`, `otp`, `pin`, `Authorization`, `x-api-key`). The one list behind every AgentGate redaction.
 *
 * @example isSecretName('private_key') // true
 * @example isSecretName('subject_token_type') // false
 */
export function isSecretName(name: string): boolean {
  const words = wordsOf(name);
  if (words.length === 0) return false;
  const last = words[words.length - 1]!;
  if (!METADATA_ENDINGS.has(last) || words.length === 1) {
    for (let index = 0; index < words.length; index++) {
      const word = words[index]!;
      const pair = index + 1 < words.length ? word + words[index + 1] : undefined;
      if (STRONG_WORDS.has(word) || (pair !== undefined && STRONG_WORDS.has(pair))) return true;
      if (word.includes('password') || word.includes('secret') || word.includes('passwd')) return true;
    }
  }
  const previous = words.length > 1 ? words[words.length - 2]! : undefined;
  if (previous !== undefined && NON_CREDENTIAL_PREFIXES.has(previous)) return false;
  const lastPair = previous === undefined ? undefined : previous + last;
  if (WEAK_WORDS.has(last) || (lastPair !== undefined && WEAK_WORDS.has(lastPair))) return true;
  // A bare `pass`, and one run-together word: `accesstoken`, `apikey`, `userpin` (not `spin`: the ending must follow a
  // word of its own).
  if (words.length === 1 && last === 'pass') return true;
  return (
    words.length === 1 &&
    JOINED_ENDINGS.some((ending) => last.length > ending.length + 1 && last.endsWith(ending))
  );
}

/** Objects that name a secret in one field and hold it in another: `{ name: 'password', value: '…' }`. */
const NAME_FIELDS = ['name', 'key', 'header', 'field', 'param', 'parameter'];

// Every pattern starts where a run of its characters starts (a lookbehind), so each run is tried once: linear time
// on any input, however many dots, dashes or `eyJ` a model puts in an argument.
const JWT = /(?<![\w-])eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BEARER = /\b(Bearer|Basic|DPoP)\s+[\w\-.~+/]+=*/gi;
const SCHEME_WORD = /^(?:Bearer|Basic|DPoP)$/i;
/** A header line that carries a credential: everything after the name (but a known scheme) is masked. */
const CREDENTIAL_HEADER =
  /(?<![\w-])((?:proxy-)?authorization|(?:set-)?cookie)(\s*:\s*)(?![\s"'])([^\r\n]*)/gi;
/** `scheme://user:password@host`: the password. */
const URL_USERINFO = /(?<![\w+.-])([a-z][a-z0-9+.-]*:\/\/[^\s/@:]+:)([^\s/@]+)@/gi;
/** Credentials recognisable by their prefix (GitHub, OpenAI-style `sk-`, Slack, AWS access key ids). */
const KNOWN_TOKEN =
  /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|sk-(?:proj-)?[\w-]{20,}|xox[abposr]-[\w-]{10,}|AKIA[0-9A-Z]{16})/g;
/**
 * `key=value`, `key: value` (a space after the colon, so `secrets:read` and URNs stay readable), `key:"value"`,
 * `"key":"value with spaces"`, `'key': 'value'`, `"key": [..]` or `{..}` (one level) — the key optionally quoted.
 */
const PAIR =
  /(["']?)(?<![\w.-])([A-Za-z][\w.-]*)\1(\s*=\s*|\s*:(?=\s|["'[{])\s*)("(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|\{[^}]*\}|[^"'&\s,;}\]]+)/g;

/**
 * Masks what looks like a credential in free text: JWTs, `Bearer …` values, and `name=value` / `"name":"value"`
 * pairs whose name {@link isSecretName} calls secret. AgentGate runs every error message and audit reason through it.
 *
 * @example redactSecrets('token exchange failed: refresh_token=abc123') // 'token exchange failed: refresh_token=[redacted]'
 */
export function redactSecrets(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(KNOWN_TOKEN, REDACTED)
    .replace(URL_USERINFO, (_match, before: string) => `${before}${REDACTED}@`)
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(CREDENTIAL_HEADER, (_match, name: string, separator: string, value: string) => {
      const scheme = /^(Bearer|Basic|DPoP) /i.exec(value)?.[1];
      return `${name}${separator}${scheme === undefined ? '' : `${scheme} `}${REDACTED}`;
    })
    .replace(PAIR, (match, quote: string, key: string, separator: string, value: string) => {
      // `Authorization: Bearer [redacted]`: the scheme is not the secret, and what followed it is already masked.
      if (!isSecretName(key) || SCHEME_WORD.test(value) || value === REDACTED) return match;
      const valueQuote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${quote}${key}${quote}${separator}${valueQuote}${REDACTED}${valueQuote}`;
    });
}

/** Literals shorter than this are not masked: replacing every `a` of a text would hide the text, not a secret. */
const MIN_LITERAL_LENGTH = 4;
/** A run of this many characters copied from a sent secret is masked wherever it stands (a prefix, a cut-off echo). */
const COPIED_RUN = 12;

/** The spellings a server may echo a value in: verbatim, URL-, form-, JSON- (also `\/`) and base64-encoded. */
function spellingsOf(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
    json,
    json.replaceAll('/', '\\/'),
    base64,
    base64.replace(/=+$/, ''),
    base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  ];
}

/**
 * Masks the values a client sent (a subject token, a client secret, an assertion, a refresh token) wherever a server
 * echoed them back — verbatim, URL-, form-, JSON- or base64-encoded, in any letter case, whole or any run of 12 or more
 * of their characters (a prefix, a cut-off echo) — and then everything {@link redactSecrets} masks. Every AgentGate
 * package that talks OAuth runs server-provided text (`error_description`, bodies) through it (see `SentSecrets`).
 * Linear in the text's length.
 *
 * @param values the literals to hide; `undefined` and values shorter than 4 characters are ignored
 * @example redactLiterals('bad subject_token abc.def', ['abc.def']) // 'bad subject_token [redacted]'
 */
export function redactLiterals(text: string, values: readonly (string | undefined)[]): string {
  const lower = text.toLowerCase();
  const masked = new Uint8Array(text.length);
  const runs = new Set<string>();
  const short = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_LITERAL_LENGTH) continue;
    for (const spelling of spellingsOf(value)) {
      const folded = spelling.toLowerCase();
      if (folded.length < COPIED_RUN) short.add(folded);
      else
        for (let start = 0; start + COPIED_RUN <= folded.length; start++)
          runs.add(folded.slice(start, start + COPIED_RUN));
    }
  }
  // Every window of the text that is a run of a secret's characters, and every whole short secret.
  if (runs.size > 0) {
    for (let start = 0; start + COPIED_RUN <= lower.length; start++) {
      if (runs.has(lower.slice(start, start + COPIED_RUN))) masked.fill(1, start, start + COPIED_RUN);
    }
  }
  for (const literal of short) {
    for (let at = lower.indexOf(literal); at >= 0; at = lower.indexOf(literal, at + 1)) {
      masked.fill(1, at, at + literal.length);
    }
  }
  let out = '';
  for (let index = 0; index < text.length; ) {
    if (masked[index] === 1) {
      while (index < text.length && masked[index] === 1) index++;
      out += REDACTED;
    } else {
      const start = index;
      while (index < text.length && masked[index] !== 1) index++;
      out += text.slice(start, index);
    }
  }
  return redactSecrets(out);
}

/** How much of one server-provided text AgentGate keeps. */
export const MAX_SERVER_TEXT = 512;

/**
 * Server-provided text made safe to show and log: control and format characters (line breaks, escape sequences,
 * bidi overrides, U+2028/U+2029) become spaces, and it is cut to {@link MAX_SERVER_TEXT} characters — so a server
 * cannot forge log lines or flood an error message, `toJSON()` or an audit reason.
 *
 * @example boundServerText('bad\r\nINFO approved') // 'bad  INFO approved'
 */
export function boundServerText(text: string, max = MAX_SERVER_TEXT): string {
  const plain = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ');
  return plain.length > max ? `${plain.slice(0, max)}… (${plain.length - max} more characters)` : plain;
}

/** How deep {@link redactValue} descends; deeper values become `[truncated]`. */
const MAX_DEPTH = 32;
/** How many values {@link redactValue} copies in all; the rest become `[truncated]` (shared references count each time). */
const MAX_NODES = 10_000;

/**
 * A deep copy of a JSON-like value with every field whose name {@link isSecretName} calls secret replaced by
 * `[redacted]`, and every string run through {@link redactSecrets}. Never throws and never recurses unbounded:
 * past 32 levels or 10,000 values the rest is `[truncated]`; own `__proto__` keys are copied as plain data; getters
 * are not run; cycles end as `[truncated]`; functions, symbols and bigints become descriptive strings; a value whose
 * proxy traps throw becomes `[unreadable]`. In `{ name: 'password', value: … }` shapes the `value` is masked too.
 */
export function redactValue(value: unknown): unknown {
  let budget = MAX_NODES;
  const copy = (input: unknown, depth: number, ancestors: readonly object[]): unknown => {
    if (budget-- <= 0) return TRUNCATED;
    if (typeof input === 'string') return redactSecrets(input);
    if (typeof input === 'bigint') return `${input}n`;
    if (typeof input === 'function') return '[function]';
    if (typeof input === 'symbol') return '[symbol]';
    if (input === null || typeof input !== 'object') return input;
    if (depth >= MAX_DEPTH || ancestors.includes(input)) return TRUNCATED;
    const path = [...ancestors, input];
    if (Array.isArray(input)) {
      const out: unknown[] = [];
      for (let index = 0; index < input.length; index++) {
        if (budget <= 0) {
          out.push(TRUNCATED);
          break;
        }
        out.push(copy(readOwn(input, String(index)), depth + 1, path));
      }
      return out;
    }
    if (input instanceof Date) return Number.isNaN(input.getTime()) ? 'Invalid Date' : input.toISOString();
    const out: Record<string, unknown> = {};
    const keys = Object.keys(input);
    // `{ name: 'password', value: '…' }`: the value is the secret the name announces.
    const namesSecret = NAME_FIELDS.some((field) => {
      const named = keys.includes(field) ? readOwn(input, field) : undefined;
      return typeof named === 'string' && isSecretName(named);
    });
    for (const key of keys) {
      if (budget <= 0) {
        defineData(out, TRUNCATED, TRUNCATED);
        break;
      }
      const secret = isSecretName(key) || (namesSecret && key === 'value');
      defineData(out, key, secret ? REDACTED : copy(readOwn(input, key), depth + 1, path));
    }
    return out;
  };
  try {
    return copy(value, 0, []);
  } catch {
    // A proxy whose traps throw: nothing of it is kept.
    return '[unreadable]';
  }
}

/** An own data property's value; an accessor is not run (it could throw or change what the gate digested). */
function readOwn(target: object, key: string): unknown {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (descriptor === undefined) return undefined;
    return 'value' in descriptor ? descriptor.value : '[accessor]';
  } catch {
    return '[unreadable]';
  }
}

/** Sets `key` as an own enumerable data property, so `__proto__` is data and not the prototype. */
function defineData(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
