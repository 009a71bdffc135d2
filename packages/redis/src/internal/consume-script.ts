import { createHash } from 'node:crypto';

/**
 * `LimitStore.consume` as one Lua script on one key, so the check and the add are a single atomic step on the node
 * that owns the key (Redis Cluster included). KEYS[1] the counter; ARGV cost, limit, ttlMs. Answers
 * `{admitted (1|0), used}`; `used` as text with 17 significant digits, so a fractional counter round-trips exactly. A new
 * counter gets `PX ttlMs`; an existing one keeps its expiry (`KEEPTTL`, Redis 6.0+), so a window is never extended —
 * unless it has none (`PERSIST`, a restore): then it gets `ttlMs`, so no counter lives forever.
 */
export const CONSUME_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local used = 0
if current then
  used = tonumber(current)
  if used == nil then return redis.error_reply('ERR agentgate: the limit counter is not a number') end
  -- A counter without an expiry (PERSIST, a restore, a hand-made SET) would never go: give it the window's rest.
  if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if used + cost > limit then return {0, string.format('%.17g', used)} end
if cost == 0 then return {1, string.format('%.17g', used)} end
local after = string.format('%.17g', used + cost)
if current then
  redis.call('SET', KEYS[1], after, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], after, 'PX', ARGV[3])
end
return {1, after}
`;

export const CONSUME_SCRIPT_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex');

/** Reads the script's reply, or `undefined` when it is not the `[0|1, number text]` pair it returns. */
export function parseConsumeReply(reply: unknown): { admitted: boolean; used: number } | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [flag, text] = reply as [unknown, unknown];
  const used = typeof text === 'string' ? Number(text) : Number.NaN;
  if ((flag !== 0 && flag !== 1) || !Number.isFinite(used)) return undefined;
  return { admitted: flag === 1, used };
}
