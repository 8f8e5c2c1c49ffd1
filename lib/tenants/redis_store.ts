// Tenants in Redis (REDIS_URL with ADMIN_TOKEN): keys, requests per minute and usage shared by
// every instance. A request's key is read from Redis each time, so a key revoked on one
// instance is refused by all at once. Token budgets and generations at once are still counted
// per instance (each starting a day from the shared usage).
import type { KeyStore, UsageBook, UsageRow } from "./key_store.ts";
import { sortRows } from "./key_store.ts";
import { type RequestCounter, type Verdict, waitFor } from "./rate_window.ts";
import type { Tenant } from "./tenant.ts";

/** The Redis commands the tenants need (the shared store's, key prefix included). */
export interface RedisCommands {
  command(args: string[]): Promise<unknown>;
}

const USAGE_FIELDS = ["requests", "errors", "tokens_in", "tokens_out"] as const;
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
    const count = Number(await this.#redis.command(["INCR", key]));
    await this.#redis.command(["PEXPIRE", key, "120000"]);
    const previous = Number(
      await this.#redis.command(["GET", `${this.#prefix}${id}:${minute - 1}`]) ?? 0,
    ) || 0;
    const into = (now % 60_000) / 60_000;
    const current = count - 1;
    if (previous * (1 - into) + current + 1 <= limit) return { ok: true };
    // Not counted after all: it is refused.
    await this.#redis.command(["DECR", key]);
    return { ok: false, retryAfter: waitFor({ current, previous }, limit, into) };
  }
}

/** Usage in one Redis hash per day: fields `<key id> <model> <counter>`. */
export class RedisUsageBook implements UsageBook {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;

  constructor(redis: RedisCommands, prefix: string, onError: (error: unknown) => void) {
    this.#redis = redis;
    this.#prefix = `${prefix}tenant:`;
    this.#onError = onError;
  }

  add(row: UsageRow): void {
    const key = `${this.#prefix}usage:${row.day}`;
    const write = async () => {
      for (const field of USAGE_FIELDS) {
        if (row[field] === 0) continue;
        await this.#redis.command([
          "HINCRBY",
          key,
          `${row.key_id}\u0000${row.model}\u0000${field}`,
          String(row[field]),
        ]);
      }
      await this.#redis.command(["EXPIRE", key, String(USAGE_TTL_S)]);
      await this.#redis.command(["HSET", `${this.#prefix}names`, row.key_id, row.key_name]);
    };
    // Not awaited: a request's answer does not wait for its bookkeeping.
    write().catch(this.#onError);
  }

  async query(from: string, to: string, keyId?: string): Promise<UsageRow[]> {
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

  close(): void {}
}

/** HGETALL's answer (a flat list in RESP2, a map in RESP3) as pairs. */
function pairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      out.push([String(reply[i]), String(reply[i + 1])]);
    }
    return out;
  }
  if (reply instanceof Map) return [...reply].map(([k, v]) => [String(k), String(v)]);
  if (reply !== null && typeof reply === "object") {
    return Object.entries(reply).map(([k, v]) => [k, String(v)]);
  }
  return [];
}
