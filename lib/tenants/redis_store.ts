// Tenants in Redis (REDIS_URL with ADMIN_TOKEN): keys, requests per minute and usage shared by
// every instance. A request's key is read from Redis each time, so a key revoked on one
// instance is refused by all at once; requests per minute, generations at once and tokens are
// counted there too, so each limit is one for all instances.
import type { KeyStore, UsageBook, UsageRow } from "./key_store.ts";
import { sortRows, sum } from "./key_store.ts";
import { type RequestCounter, type Verdict, waitFor } from "./rate_window.ts";
import type { GenerationCounter } from "./generations.ts";
import type { Tenant, TenantLimits } from "./tenant.ts";
import { budgetSpent, moneySpent, tooManyRunning, tpmSpent } from "./token_budget.ts";
import { pairs } from "../redis_reply.ts";

/** The Redis commands the tenants need (the shared store's, key prefix included). */
export interface RedisCommands {
  command(args: string[]): Promise<unknown>;
}

const USAGE_FIELDS = ["requests", "errors", "tokens_in", "tokens_out", "cost"] as const;
/** Usage days are kept this long. */
const USAGE_TTL_S = 400 * 86_400;
/** Longest range one usage query reads, in days. */
const MAX_DAYS = 400;

function parse(value: unknown): Tenant | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value) as Tenant;
  } catch {
    return undefined;
  }
}

/** Keys as JSON under their id and their hash, and the set of ids. */
export class RedisKeyStore implements KeyStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;

  constructor(redis: RedisCommands, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}tenant:`;
  }

  async all(): Promise<Tenant[]> {
    const ids = await this.#redis.command(["SMEMBERS", `${this.#prefix}ids`]);
    if (!Array.isArray(ids) || ids.length === 0) return [];
    const values = await this.#redis.command([
      "MGET",
      ...ids.map((id) => `${this.#prefix}key:${String(id)}`),
    ]);
    return (Array.isArray(values) ? values : []).map(parse).filter((t) => t !== undefined);
  }

  async get(id: string): Promise<Tenant | undefined> {
    return parse(await this.#redis.command(["GET", `${this.#prefix}key:${id}`]));
  }

  async byHash(hash: string): Promise<Tenant | undefined> {
    return parse(await this.#redis.command(["GET", `${this.#prefix}hash:${hash}`]));
  }

  async put(tenant: Tenant): Promise<void> {
    const json = JSON.stringify(tenant);
    await this.#redis.command([
      "MSET",
      `${this.#prefix}key:${tenant.id}`,
      json,
      `${this.#prefix}hash:${tenant.hash}`,
      json,
    ]);
    await this.#redis.command(["SADD", `${this.#prefix}ids`, tenant.id]);
  }

  close(): void {}
}

const COUNT_SCRIPT = "local n = redis.call('INCR', KEYS[1]) " +
  "redis.call('PEXPIRE', KEYS[1], 120000) " +
  "return {n, tonumber(redis.call('GET', KEYS[2]) or '0')}";

/** Requests per minute counted in Redis: one limit for all instances. */
export class RedisRequestCounter implements RequestCounter {
  readonly #redis: RedisCommands;
  readonly #prefix: string;

  constructor(redis: RedisCommands, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}tenant:rpm:`;
  }

  async admit(id: string, limit: number, now = Date.now()): Promise<Verdict> {
    const minute = Math.floor(now / 60_000);
    const key = `${this.#prefix}${id}:${minute}`;
    // One round trip: count this request, keep the count two minutes, read the last minute's.
    const reply = await this.#redis.command([
      "EVAL",
      COUNT_SCRIPT,
      "2",
      key,
      `${this.#prefix}${id}:${minute - 1}`,
    ]);
    const [count, previous] = Array.isArray(reply)
      ? [Number(reply[0]) || 0, Number(reply[1]) || 0]
      : [0, 0];
    const into = (now % 60_000) / 60_000;
    const current = count - 1;
    if (previous * (1 - into) + current + 1 <= limit) return { ok: true };
    // Not counted after all: it is refused.
    await this.#redis.command(["DECR", key]);
    return { ok: false, retryAfter: waitFor({ current, previous }, limit, into) };
  }
}

/**
 * Usage in one Redis hash per day: fields `<key id> <model> <counter>`. Summed in memory and
 * written once a second, so a request costs Redis nothing for its bookkeeping; what an
 * instance had not written yet is lost if it is killed.
 */
export class RedisUsageBook implements UsageBook {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, UsageRow>();
  readonly #timer: number;

  constructor(redis: RedisCommands, prefix: string, onError: (error: unknown) => void) {
    this.#redis = redis;
    this.#prefix = `${prefix}tenant:`;
    this.#onError = onError;
    // Node's Timeout in these types (node:sqlite brings them); a number in Deno.
    this.#timer = setInterval(() => void this.#flush(), 1000) as unknown as number;
    Deno.unrefTimer(this.#timer);
  }

  add(row: UsageRow): void {
    const at = `${row.day}\u0000${row.key_id}\u0000${row.model}`;
    const old = this.#pending.get(at);
    this.#pending.set(at, old === undefined ? { ...row } : sum(old, row));
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const rows = [...this.#pending.values()];
    this.#pending = new Map();
    try {
      for (const row of rows) await this.#write(row);
    } catch (error) {
      // Kept for the next flush (a row half written may then count twice: rare, and small).
      for (const row of rows) this.add(row);
      this.#onError(error);
    }
  }

  async #write(row: UsageRow): Promise<void> {
    const key = `${this.#prefix}usage:${row.day}`;
    for (const field of USAGE_FIELDS) {
      if (row[field] === 0) continue;
      await this.#redis.command([
        field === "cost" ? "HINCRBYFLOAT" : "HINCRBY",
        key,
        `${row.key_id}\u0000${row.model}\u0000${field}`,
        String(row[field]),
      ]);
    }
    await this.#redis.command(["EXPIRE", key, String(USAGE_TTL_S)]);
    await this.#redis.command(["HSET", `${this.#prefix}names`, row.key_id, row.key_name]);
  }

  async query(from: string, to: string, keyId?: string): Promise<UsageRow[]> {
    await this.#flush();
    const names = await this.#redis.command(["HGETALL", `${this.#prefix}names`]);
    const nameOf = new Map(pairs(names));
    const rows = new Map<string, UsageRow>();
    const start = Date.parse(`${from}T00:00:00Z`);
    const end = Date.parse(`${to}T00:00:00Z`);
    for (let t = start, n = 0; t <= end && n < MAX_DAYS; t += 86_400_000, n++) {
      const day = new Date(t).toISOString().slice(0, 10);
      const fields = await this.#redis.command(["HGETALL", `${this.#prefix}usage:${day}`]);
      for (const [field, value] of pairs(fields)) {
        const [id, model, counter] = field.split("\u0000");
        if (keyId !== undefined && id !== keyId) continue;
        const at = `${day}\u0000${id}\u0000${model}`;
        let row = rows.get(at);
        if (row === undefined) {
          row = {
            day,
            key_id: id,
            key_name: nameOf.get(id) ?? id,
            model,
            requests: 0,
            errors: 0,
            tokens_in: 0,
            tokens_out: 0,
            cost: 0,
          };
          rows.set(at, row);
        }
        if ((USAGE_FIELDS as readonly string[]).includes(counter)) {
          row[counter as typeof USAGE_FIELDS[number]] = Number(value) || 0;
        }
      }
    }
    return sortRows([...rows.values()]);
  }

  /** The last second's usage written (a failure is reported, as every flush's). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flush();
  }
}

/**
 * Checks a tenant's limits and takes a generation and a reservation, in one step for all
 * instances. KEYS: running, reserved, day, month, this minute, last minute, the month's money.
 * ARGV: the limits (-1: none) for generations, tpm, day, month; the fraction of this minute
 * gone; the tokens; the money budget.
 * Returns {0} when taken, else {why, what was used}.
 */
const START_SCRIPT = `
local running = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if limit >= 0 and running >= limit then return {1, running} end
local cost = tonumber(redis.call('GET', KEYS[7]) or '0')
if tonumber(ARGV[7]) >= 0 and cost >= tonumber(ARGV[7]) then return {5, tostring(cost)} end
local reserved = tonumber(redis.call('GET', KEYS[2]) or '0')
local month = tonumber(redis.call('GET', KEYS[4]) or '0')
if tonumber(ARGV[4]) >= 0 and month + reserved >= tonumber(ARGV[4]) then return {2, month} end
local day = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[3]) >= 0 and day + reserved >= tonumber(ARGV[3]) then return {3, day} end
if tonumber(ARGV[2]) >= 0 then
  local recent = tonumber(redis.call('GET', KEYS[6]) or '0') * (1 - tonumber(ARGV[5]))
    + tonumber(redis.call('GET', KEYS[5]) or '0')
  if recent + reserved >= tonumber(ARGV[2]) then return {4, math.floor(recent)} end
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 600000)
redis.call('INCRBY', KEYS[2], ARGV[6])
redis.call('PEXPIRE', KEYS[2], 600000)
return {0, 0}`;

/**
 * Ends a generation: gives back its generation and reservation, and adds the tokens used to
 * the day, month and minute, and its cost to the month's. KEYS as above; ARGV: the
 * reservation, the tokens used, the cost.
 */
const END_SCRIPT = `
if redis.call('DECR', KEYS[1]) < 0 then redis.call('SET', KEYS[1], 0) end
if redis.call('DECRBY', KEYS[2], ARGV[1]) < 0 then redis.call('SET', KEYS[2], 0) end
if tonumber(ARGV[3]) > 0 then
  redis.call('INCRBYFLOAT', KEYS[7], ARGV[3])
  redis.call('EXPIRE', KEYS[7], 3456000)
end
local used = tonumber(ARGV[2])
if used > 0 then
  redis.call('INCRBY', KEYS[3], used)
  redis.call('EXPIRE', KEYS[3], 172800)
  redis.call('INCRBY', KEYS[4], used)
  redis.call('EXPIRE', KEYS[4], 3456000)
  redis.call('INCRBY', KEYS[5], used)
  redis.call('EXPIRE', KEYS[5], 120)
end
return 1`;

/**
 * Generations at once and tokens counted in Redis: one limit for all instances. A generation
 * an instance never ended (it was killed) is given back when its counters expire, ten minutes
 * after their last change.
 */
export class RedisGenerations implements GenerationCounter {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;

  constructor(redis: RedisCommands, prefix: string, onError: (error: unknown) => void) {
    this.#redis = redis;
    this.#prefix = `${prefix}tenant:gen:`;
    this.#onError = onError;
  }

  async start(
    id: string,
    limits: TenantLimits,
    tokens: number,
    now: number,
  ): Promise<(used: number, cost: number) => void> {
    const into = (now % 60_000) / 60_000;
    const limit = (value: number | undefined) => String(value ?? -1);
    const reply = await this.#redis.command([
      "EVAL",
      START_SCRIPT,
      "7",
      ...this.#keys(id, now),
      limit(limits.concurrent),
      limit(limits.tpm),
      limit(limits.dailyTokens),
      limit(limits.monthlyTokens),
      String(into),
      String(tokens),
      limit(limits.monthlyBudget),
    ]);
    const [why, used] = Array.isArray(reply) ? reply.map(Number) : [0, 0];
    if (why === 5) throw moneySpent(limits.monthlyBudget ?? 0, used);
    if (why === 1) throw tooManyRunning(limits.concurrent ?? 0, used);
    if (why === 2) throw budgetSpent("month", limits.monthlyTokens ?? 0, used);
    if (why === 3) throw budgetSpent("day", limits.dailyTokens ?? 0, used);
    if (why === 4) throw tpmSpent(limits.tpm ?? 0, into);
    let done = false;
    return (spent, cost) => {
      if (done) return;
      done = true;
      this.#redis.command([
        "EVAL",
        END_SCRIPT,
        "7",
        ...this.#keys(id, Date.now()),
        String(tokens),
        String(Math.max(0, Math.round(spent))),
        String(Math.max(0, cost)),
      ]).catch(this.#onError);
    };
  }

  #keys(id: string, now: number): string[] {
    const date = new Date(now).toISOString();
    const minute = Math.floor(now / 60_000);
    const at = `${this.#prefix}${id}:`;
    return [
      `${at}running`,
      `${at}reserved`,
      `${at}day:${date.slice(0, 10)}`,
      `${at}month:${date.slice(0, 7)}`,
      `${at}minute:${minute}`,
      `${at}minute:${minute - 1}`,
      `${at}cost:${date.slice(0, 7)}`,
    ];
  }
}
