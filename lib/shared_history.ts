// With REDIS_URL, the console's Requests and Live show every instance's traffic, whichever
// instance the load balancer sends the console to. Each instance keeps its own history
// (request_history.ts) and every FLUSH_MS writes what is new: its finished requests to one list
// of the last KEPT, and its window of 10-second slices with its gauges to a hash field of its own.
// Reads merge them with this instance's newest. A request only adds to an array: Redis is off the
// hot path. When Redis fails, this instance's own traffic is shown, and its scope says so.
import { pairs } from "./redis_reply.ts";
import {
  listed,
  type ListedRecord,
  type LiveSample,
  type Load,
  type RecordFilter,
  type RequestHistory,
  type RequestRecord,
  type Scope,
  type TrafficHistory,
  wanted,
} from "./request_history.ts";
import { loadFrom, recordFrom, sampleFrom } from "./traffic_records.ts";

/** The Redis commands it needs (the shared store's, key prefix written out). */
export interface RedisCommands {
  command(args: string[]): Promise<unknown>;
}

/** How often an instance writes its new traffic. */
export const FLUSH_MS = 2000;
/** Requests kept in the shared list (and pending, while Redis is away). */
const KEPT = 1000;
/** An instance's gauges count as current for this long after it wrote them. */
const FRESH_MS = 3 * FLUSH_MS;
/** Longest an instance's window stays after its last write: the window itself. */
const WINDOW_MS = 15 * 60_000;

/** One instance's part of Live, as written to its hash field (`at` in Redis' clock). */
interface Report {
  at: number;
  load: Load;
  samples: LiveSample[];
}

/** A record waiting to be written, numbered so that one written twice is listed once. */
interface Numbered {
  n: number;
  record: RequestRecord;
}

/** Every instance's traffic through Redis, this one's from memory; see the module's comment. */
export class SharedRequestHistory implements TrafficHistory {
  readonly #local: RequestHistory;
  readonly #redis: RedisCommands;
  readonly #listKey: string;
  readonly #liveKey: string;
  readonly #instance: string;
  readonly #onError: (error: unknown) => void;
  #sequence = 0;
  /** Finished here and not yet written, and those being written now. */
  #pending: Numbered[] = [];
  #inFlight: Numbered[] = [];
  #writing: Promise<void> | undefined;
  readonly #timer: number;

  constructor(
    local: RequestHistory,
    redis: RedisCommands,
    options: {
      prefix: string;
      instance: string;
      /** A write failed (called once until one succeeds again). */
      onError: (error: unknown) => void;
      flushMs?: number;
    },
  ) {
    this.#local = local;
    this.#redis = redis;
    this.#listKey = `${options.prefix}history:requests`;
    this.#liveKey = `${options.prefix}history:live`;
    this.#instance = options.instance;
    let failing = false;
    this.#onError = (error) => {
      if (!failing) options.onError(error);
      failing = true;
    };
    // Node's Timeout in these types (node:sqlite brings them); a number in Deno.
    this.#timer = setInterval(() => {
      void this.flush().then(() => failing = false, this.#onError);
    }, options.flushMs ?? FLUSH_MS) as unknown as number;
    Deno.unrefTimer(this.#timer);
  }

  record(record: RequestRecord): void {
    const kept = this.#local.record(record);
    this.#pending.push({ n: this.#sequence++, record: kept });
    // Trimmed now and then, not per request: only the newest KEPT are ever written.
    if (this.#pending.length >= 2 * KEPT) this.#pending.splice(0, this.#pending.length - KEPT);
  }

  async recent(filter: RecordFilter): Promise<{ scope: Scope; data: ListedRecord[] }> {
    let written: Map<string, RequestRecord>;
    try {
      written = parseRecords(
        await this.#redis.command(["LRANGE", this.#listKey, `-${KEPT}`, "-1"]),
      );
    } catch {
      return this.#local.recent(filter);
    }
    // Not written yet (or being written): this instance's newest.
    for (const { n, record } of [...this.#inFlight, ...this.#pending]) {
      written.set(`${this.#instance}:${n}`, record);
    }
    const records = [...written.values()].sort((a, b) => b.time - a.time);
    const data: ListedRecord[] = [];
    for (const record of records) {
      if (data.length >= filter.limit) break;
      if (wanted(record, filter)) data.push(listed(record));
    }
    return { scope: "all instances", data };
  }

  async traffic(minutes: number): Promise<{ scope: Scope; samples: LiveSample[]; load: Load }> {
    let reports: Map<string, Report>;
    let now: number;
    try {
      now = await this.#redisNow();
      reports = parseReports(await this.#redis.command(["HGETALL", this.#liveKey]));
    } catch {
      return this.#local.traffic(minutes);
    }
    // This instance's own, from memory: newer than what it last wrote.
    reports.delete(this.#instance);
    const gone = [...reports].filter(([, report]) => now - report.at > WINDOW_MS).map(([id]) => id);
    if (gone.length > 0) {
      for (const id of gone) reports.delete(id);
      void this.#redis.command(["HDEL", this.#liveKey, ...gone]).catch(() => {});
    }
    const samples = this.#local.live(minutes).map((sample) => structuredClone(sample));
    const at = new Map(samples.map((sample) => [sample.t, sample]));
    const load = { ...this.#local.load() };
    for (const report of reports.values()) {
      if (now - report.at < FRESH_MS) addLoad(load, report.load);
      for (const theirs of report.samples) {
        const mine = at.get(theirs.t);
        if (mine !== undefined) addSample(mine, theirs);
      }
    }
    return { scope: "all instances", samples, load };
  }

  /**
   * Writes the requests finished since the last write, and this instance's window and gauges.
   * One write at a time. (Instances silent for longer than the window are forgotten by reads.)
   */
  flush(): Promise<void> {
    this.#writing ??= this.#write().finally(() => this.#writing = undefined);
    return this.#writing;
  }

  /** The last requests written before the store closes (a failure was reported already). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush().catch(this.#onError);
  }

  async #write(): Promise<void> {
    const numbered = this.#pending.slice(-KEPT);
    this.#pending = [];
    this.#inFlight = numbered;
    try {
      if (numbered.length > 0) {
        const json = numbered.map(({ n, record }) =>
          JSON.stringify({ ...record, _i: this.#instance, _n: n })
        );
        await this.#redis.command(["RPUSH", this.#listKey, ...json]);
      }
    } catch (error) {
      // Kept for the next write (the newest KEPT at most). A push that timed out may still
      // have happened: its records' numbers list them once.
      this.#pending = [...numbered, ...this.#pending].slice(-KEPT);
      throw error;
    } finally {
      this.#inFlight = [];
    }
    if (numbered.length > 0) {
      await this.#redis.command(["LTRIM", this.#listKey, `-${KEPT}`, "-1"]);
    }
    const report: Report = {
      at: await this.#redisNow(),
      load: this.#local.load(),
      samples: this.#local.live(WINDOW_MS / 60_000).filter(busy),
    };
    await this.#redis.command(["HSET", this.#liveKey, this.#instance, JSON.stringify(report)]);
    await this.#redis.command(["PEXPIRE", this.#liveKey, String(WINDOW_MS)]);
  }

  /** Redis' clock (ms): one for every instance, whatever their own clocks say. */
  async #redisNow(): Promise<number> {
    const reply = await this.#redis.command(["TIME"]);
    const [seconds, micros] = Array.isArray(reply) ? reply.map(Number) : [NaN, NaN];
    if (!Number.isFinite(seconds) || !Number.isFinite(micros)) {
      throw new Error("Redis TIME gave no time");
    }
    return seconds * 1000 + Math.floor(micros / 1000);
  }
}

/** A slice worth writing: something happened in it. */
function busy(sample: LiveSample): boolean {
  return sample.requests > 0 || sample.queue_length_max > 0 || sample.open_streams_max > 0;
}

function addLoad(into: Load, other: Load): void {
  into.queue_length += other.queue_length;
  into.open_streams += other.open_streams;
  into.generating += other.generating;
}

/** Adds another instance's slice into this one's: totals add, the longest wait is the longest. */
function addSample(into: LiveSample, other: LiveSample): void {
  for (
    const field of [
      "requests",
      "errors",
      "tokens_in",
      "tokens_out",
      "slotted",
      "queue_wait_ms",
      // Peaks at different moments add up to at most the fleet's peak: an upper bound.
      "queue_length_max",
      "open_streams_max",
    ] as const
  ) {
    into[field] += other[field];
  }
  into.queue_wait_ms_max = Math.max(into.queue_wait_ms_max, other.queue_wait_ms_max);
  for (const [code, count] of Object.entries(other.errors_by_code)) {
    into.errors_by_code[code] = (into.errors_by_code[code] ?? 0) + count;
  }
}

/** The shared list's records by instance and number; anything that is not one is skipped. */
function parseRecords(reply: unknown): Map<string, RequestRecord> {
  const out = new Map<string, RequestRecord>();
  for (const [i, item] of (Array.isArray(reply) ? reply : []).entries()) {
    const value = parseJson(item) as { _i?: unknown; _n?: unknown } | undefined;
    const record = recordFrom(value);
    if (record === undefined) continue;
    // One without a number (written by something else) is its own.
    const key = typeof value?._i === "string" && Number.isSafeInteger(value._n)
      ? `${value._i}:${value._n}`
      : `#${i}`;
    out.set(key, record);
  }
  return out;
}

/** The instances' reports by instance; anything that is not one is skipped. */
function parseReports(reply: unknown): Map<string, Report> {
  const out = new Map<string, Report>();
  for (const [instance, text] of pairs(reply)) {
    const report = parseJson(text) as Record<string, unknown> | undefined;
    if (typeof report?.at !== "number" || !Array.isArray(report.samples)) continue;
    out.set(instance, {
      at: report.at,
      load: loadFrom(report.load),
      samples: report.samples.map(sampleFrom).filter((s): s is LiveSample => s !== undefined),
    });
  }
  return out;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
