import { createHash } from "node:crypto";
import type { Logger } from "../log.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { KeyValue } from "./shared_state.ts";
import { LocalLedger, type SlotLease, type SlotLedger } from "./slot_ledger.ts";

/** How long a lease lives unless renewed: an instance that dies frees its slots this soon. */
export const LEASE_TTL_MS = 5_000;

/** A script, sent by its SHA-1 once Redis knows it. */
interface Script {
  text: string;
  sha: string;
}

function script(text: string): Script {
  return { text, sha: createHash("sha1").update(text).digest("hex") };
}

// The leases of one key: a sorted set of lease ids scored by when they expire, in Redis' own
// clock (every instance's clock may differ). Expired ones are dropped first; a full set answers
// how long until its first lease expires, so a waiting instance knows when to look again, and
// marks the key as waited for (KEYS[2]), so that a release says so to the others.
const TAKE = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  return -1
end
redis.call('SET', KEYS[2], '1', 'PX', ttl * 2)
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(0, tonumber(first[2]) - now)
`);

// A lease Redis lost (restarted without persistence, a failover, away longer than a lease's life)
// is written again: its generation still runs, and GigaChat still counts it.
const RENEW = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 0
`);

// Published only while an instance waits for the key: no traffic when none does.
const RELEASE = script(`
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 0
`);

export interface RedisLeasesOptions {
  /** Key prefix (shared_state's PREFIX): the commands name keys whole. */
  prefix: string;
  log: Logger;
  metrics: GatewayMetrics;
  ttlMs?: number;
}

/**
 * Slots counted across every instance sharing a Redis: each is a lease with a short time to
 * live, renewed while its generation runs, so a dead instance's slots come back within
 * LEASE_TTL_MS. A freed slot is published, so waiting instances try again at once; one that
 * found a key full also looks again when its first lease would expire. While Redis cannot be
 * reached, caps are counted in this process alone (logged, and the pool_local_caps gauge).
 */
export class RedisLeases implements SlotLedger {
  readonly #kv: KeyValue;
  readonly #o: RedisLeasesOptions;
  readonly #ttl: number;
  readonly #local = new LocalLedger();
  /** Lease ids held in Redis, by key. */
  readonly #held = new Map<string, Set<string>>();
  readonly #wakes = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #listeners: ((key: string) => void)[] = [];
  readonly #channel: string;
  #renewer: ReturnType<typeof setInterval> | undefined;
  #localOnly = false;

  constructor(kv: KeyValue, options: RedisLeasesOptions) {
    this.#kv = kv;
    this.#o = options;
    this.#ttl = options.ttlMs ?? LEASE_TTL_MS;
    this.#channel = `${options.prefix}pool:freed`;
    void kv.subscribe?.("pool:freed", (key) => this.#freed(key)).catch((error) =>
      options.log.warn(
        "pool leases: no word of slots freed elsewhere; looking when leases expire",
        {
          error: String(error),
        },
      )
    );
  }

  async take(key: string, cap: number): Promise<SlotLease | undefined> {
    // This instance's own count first: it is part of the whole, and costs no round trip.
    const local = this.#local.take(key, cap);
    if (local === undefined) return undefined;
    const id = crypto.randomUUID();
    let answer: unknown;
    try {
      answer = await this.#eval(
        TAKE,
        [this.#redisKey(key), this.#waitKey(key)],
        [String(this.#ttl), String(cap), id],
      );
    } catch (error) {
      this.#fallBack(error);
      return local;
    }
    this.#reachable();
    const wait = Number(answer);
    if (wait >= 0) {
      local.release();
      this.#wakeAfter(key, wait);
      return undefined;
    }
    this.#hold(key, id);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        local.release();
        this.#drop(key, id);
        this.#eval(
          RELEASE,
          [this.#redisKey(key), this.#waitKey(key)],
          [id, this.#channel, key],
        ).catch(() => {
          // It expires by itself within the lease's life.
        });
      },
    };
  }

  onFreed(listener: (key: string) => void): void {
    this.#listeners.push(listener);
  }

  close(): void {
    clearInterval(this.#renewer);
    this.#renewer = undefined;
    for (const timer of this.#wakes.values()) clearTimeout(timer);
    this.#wakes.clear();
  }

  #redisKey(key: string): string {
    return `${this.#o.prefix}pool:{${key}}:slots`;
  }

  #waitKey(key: string): string {
    return `${this.#o.prefix}pool:{${key}}:waiting`;
  }

  /** Runs `script` by its SHA-1, sending its text only when Redis does not know it yet. */
  async #eval(script: Script, keys: string[], args: string[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await this.#kv.command(["EVALSHA", script.sha, ...rest]);
    } catch (error) {
      const cause = error instanceof Error ? error.cause ?? error : error;
      if (!/NOSCRIPT/.test(String(cause))) throw error;
      return await this.#kv.command(["EVAL", script.text, ...rest]);
    }
  }

  #freed(key: string): void {
    for (const listener of this.#listeners) listener(key);
  }

  /** Looks at `key` again when its first lease would have expired (its holder may be dead). */
  #wakeAfter(key: string, ms: number): void {
    if (this.#wakes.has(key)) return;
    const timer = setTimeout(() => {
      this.#wakes.delete(key);
      this.#freed(key);
    }, ms + 10);
    Deno.unrefTimer(timer);
    this.#wakes.set(key, timer);
  }

  #hold(key: string, id: string): void {
    let ids = this.#held.get(key);
    if (ids === undefined) this.#held.set(key, ids = new Set());
    ids.add(id);
    // Three times per life, so one late renewal loses nothing. The generation keeps the
    // process alive, not this.
    if (this.#renewer === undefined) {
      this.#renewer = setInterval(() => this.#renew(), this.#ttl / 3);
      Deno.unrefTimer(this.#renewer);
    }
  }

  #drop(key: string, id: string): void {
    const ids = this.#held.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#held.delete(key);
    if (this.#held.size === 0 && this.#renewer !== undefined) {
      clearInterval(this.#renewer);
      this.#renewer = undefined;
    }
  }

  #renew(): void {
    for (const [key, ids] of this.#held) {
      this.#eval(RENEW, [this.#redisKey(key)], [String(this.#ttl), ...ids])
        .then(() => this.#reachable(), (error) => this.#fallBack(error));
    }
  }

  #fallBack(error: unknown): void {
    if (this.#localOnly) return;
    this.#localOnly = true;
    this.#o.metrics.poolLocalCaps.set([], 1);
    this.#o.log.error(
      "credential caps counted per instance: the shared store is unreachable, so instances " +
        "together may exceed them until it is back",
      { error: error instanceof Error ? error.message : String(error) },
    );
  }

  #reachable(): void {
    if (!this.#localOnly) return;
    this.#localOnly = false;
    this.#o.metrics.poolLocalCaps.set([], 0);
    this.#o.log.info("credential caps counted across instances again");
  }
}
