import { type AuditEvent, GENESIS_HASH, hashAuditEvent } from './event';

/** One chain found by {@link verifyAuditChain}: the events one writer stored. */
export interface AuditChainSummary {
  /** The chain id; `null` for events written before chains had ids (they form one chain). */
  id: string | null;
  /** How many events of the sequence belong to it. */
  count: number;
  /** The `prevHash` of its first event: the genesis hash, or the hash of an event stored before the chain began. */
  anchor: string;
  /** The hash of its last event; anchor it elsewhere and pass it as `expectedHeads` to detect a cut tail. */
  head: string;
}

/** The verdict of {@link verifyAuditChain}. */
export type AuditChainVerdict =
  | {
      valid: true;
      /** Events checked, all chains together. */
      count: number;
      /** The hash of the last event of the sequence (the genesis hash when there is none). */
      head: string;
      /** Every chain, in the order of its first event. */
      chains: AuditChainSummary[];
      index?: never;
      eventId?: never;
      chain?: never;
      reason?: never;
    }
  | {
      valid: false;
      count: number;
      /** The index of the first broken event; for `unexpected-head` the chain's last event; -1 for `missing-chain`. */
      index: number;
      eventId: string | undefined;
      /** The chain that is broken (`null`: the events without a chain id). */
      chain: string | null;
      reason: AuditChainBreak;
      head?: never;
      chains?: never;
    };

/**
 * Why a chain is broken: an event's content no longer matches its hash (`hash-mismatch`: edited); its `prevHash` does
 * not name the event before it in its chain, or the first event of a chain names no event stored before it
 * (`broken-link`: events deleted, inserted or moved); its last event is not the expected head (`unexpected-head`:
 * events cut from the end); an expected chain has no event at all (`missing-chain`).
 */
export type AuditChainBreak = 'hash-mismatch' | 'broken-link' | 'unexpected-head' | 'missing-chain';

export interface VerifyAuditChainOptions {
  /** The hash a chain may start from; defaults to the genesis hash (64 zeros). */
  genesis?: string;
  /** The hash the last event of the sequence must have, e.g. one anchored elsewhere; detects truncation. */
  expectedHead?: string;
  /**
   * Heads anchored elsewhere, by chain id (e.g. each writer's last `{ chain, hash }` kept outside the file): each
   * named chain must be present and end with that hash. Detects a cut tail or a deleted chain.
   */
  expectedHeads?: Readonly<Record<string, string>>;
}

/**
 * Checks a sequence of audit events (e.g. a whole file) and reports the first broken one. Events are grouped by their
 * `chain` id and each chain is checked link by link on its own, so several writers appending to one file (several
 * processes) verify as intact however their lines interleave. The first event of each chain must link to the genesis
 * hash or to an event earlier in the sequence.
 *
 * What this detects: an edited, deleted, inserted, duplicated or reordered event within a chain, and deleted events
 * that a later chain started from. What it cannot detect on its own: the loss of a chain's last events, or of a whole
 * chain that no later chain started from (e.g. the file's tail cut off), unless their heads are anchored elsewhere and
 * passed as `expectedHeads` / `expectedHead`; and events written by someone who recomputes the hashes (the chain has
 * no key: it proves order and completeness against anchored heads, not who wrote an event). The order of events of
 * different chains is not checked.
 *
 * @example const verdict = verifyAuditChain(await readAuditLog('audit.jsonl'));
 * if (!verdict.valid) console.error(`audit log broken at line ${verdict.index + 1} (chain ${verdict.chain}): ${verdict.reason}`);
 */
export function verifyAuditChain(
  events: readonly AuditEvent[],
  options: VerifyAuditChainOptions = {},
): AuditChainVerdict {
  const genesis = options.genesis ?? GENESIS_HASH;
  const stored = new Set<string>();
  const chains = new Map<string | null, AuditChainSummary & { last: number }>();
  const broken = (index: number, chain: string | null, reason: AuditChainBreak): AuditChainVerdict => ({
    valid: false,
    count: events.length,
    index,
    eventId: events[index]?.id,
    chain,
    reason,
  });

  for (const [index, event] of events.entries()) {
    const id = typeof event?.chain === 'string' ? event.chain : null;
    const chain = chains.get(id);
    const linked = chain
      ? event?.prevHash === chain.head
      : event?.prevHash === genesis || stored.has(event?.prevHash as string);
    if (!linked) return broken(index, id, 'broken-link');
    if (!hashMatches(event)) return broken(index, id, 'hash-mismatch');
    stored.add(event.hash);
    if (chain) {
      chain.count++;
      chain.head = event.hash;
      chain.last = index;
    } else {
      chains.set(id, { id, count: 1, anchor: event.prevHash, head: event.hash, last: index });
    }
  }

  for (const [id, head] of Object.entries(options.expectedHeads ?? {})) {
    const chain = chains.get(id);
    if (!chain) return broken(-1, id, 'missing-chain');
    if (chain.head !== head) return broken(chain.last, id, 'unexpected-head');
  }
  const head = events.at(-1)?.hash ?? genesis;
  if (options.expectedHead !== undefined && head !== options.expectedHead) {
    const last = events.at(-1);
    return broken(events.length - 1, typeof last?.chain === 'string' ? last.chain : null, 'unexpected-head');
  }
  return {
    valid: true,
    count: events.length,
    head,
    chains: [...chains.values()].map(({ last: _last, ...summary }) => summary),
  };
}

/** Whether the event's hash is the hash of its content; an event that cannot even be hashed (`1e400`) does not match. */
function hashMatches(event: AuditEvent): boolean {
  try {
    return hashAuditEvent(event) === event.hash;
  } catch {
    return false;
  }
}
