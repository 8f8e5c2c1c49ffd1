// What the admin API (and the console over it) shows of recent traffic: each finished request's
// metadata, never its content, and per-10-second totals for the last minutes. Kept in this
// process, bounded, and only while the admin API is on; with REDIS_URL, shared_history.ts adds
// the other instances'.
import {
  boundedRecord,
  type LiveSample,
  type Load,
  type RequestRecord,
} from "./traffic_records.ts";

export type { LiveSample, Load, RequestRecord };

/** Which records a listing wants. */
export interface RecordFilter {
  key?: string;
  status?: number;
  model?: string;
  limit: number;
}

/** Whose traffic a view holds: this process's, or every instance's sharing its Redis. */
export type Scope = "instance" | "all instances";

/** A record as the admin API lists it. */
export type ListedRecord = Omit<RequestRecord, "time"> & { time: string };

/** What the admin API reads: recent requests and the last minutes, of one scope. */
export interface TrafficHistory {
  record(record: RequestRecord): void;
  recent(filter: RecordFilter): Promise<{ scope: Scope; data: ListedRecord[] }>;
  traffic(minutes: number): Promise<{ scope: Scope; samples: LiveSample[]; load: Load }>;
  /** Writes what is still held (shared), then stops. */
  close(): Promise<void>;
}

/** Seconds per live sample. */
export const SAMPLE_S = 10;
/** Samples kept: fifteen minutes. */
const SAMPLES = 90;

/** The last `capacity` requests and fifteen minutes of 10-second totals, of this process. */
export class RequestHistory implements TrafficHistory {
  readonly #capacity: number;
  readonly #records: RequestRecord[] = [];
  /** Where the next record goes once the ring is full. */
  #next = 0;
  readonly #samples = new Map<number, LiveSample>();
  readonly #now: () => number;
  readonly #load: () => Load;

  /** `load` is read as requests end and as the window is read: the slices' peaks. */
  constructor(
    capacity = 1000,
    now: () => number = Date.now,
    load: () => Load = () => ({ queue_length: 0, open_streams: 0, generating: 0 }),
  ) {
    this.#capacity = capacity;
    this.#now = now;
    this.#load = load;
  }

  /**
   * Keeps `record` (the oldest goes once full) and counts it in its 10-second slice; returns it
   * as kept.
   */
  record(given: RequestRecord): RequestRecord {
    // A client names its model and path: kept cut, so a thousand records stay small.
    const record = boundedRecord(given);
    if (this.#records.length < this.#capacity) this.#records.push(record);
    else {
      this.#records[this.#next] = record;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    const sample = this.#sampleAt(this.#now());
    sample.requests++;
    if (record.status >= 400 || record.error_code !== undefined) {
      sample.errors++;
      const code = record.error_code ?? String(record.status);
      sample.errors_by_code[code] = (sample.errors_by_code[code] ?? 0) + 1;
    }
    sample.tokens_in += record.tokens_in ?? 0;
    sample.tokens_out += record.tokens_out ?? 0;
    if (record.queue_ms !== undefined) {
      sample.slotted++;
      sample.queue_wait_ms += record.queue_ms;
      sample.queue_wait_ms_max = Math.max(sample.queue_wait_ms_max, record.queue_ms);
    }
    this.#notePeaks(sample);
    return record;
  }

  recent(filter: RecordFilter): Promise<{ scope: Scope; data: ListedRecord[] }> {
    return Promise.resolve({ scope: "instance", data: this.list(filter) });
  }

  traffic(minutes: number): Promise<{ scope: Scope; samples: LiveSample[]; load: Load }> {
    return Promise.resolve({ scope: "instance", samples: this.live(minutes), load: this.load() });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The gauges now. */
  load(): Load {
    return this.#load();
  }

  /** The newest records first, those `filter` wants, at most `filter.limit`. */
  list(filter: RecordFilter): ListedRecord[] {
    const out: ListedRecord[] = [];
    const n = this.#records.length;
    for (let i = 1; i <= n && out.length < filter.limit; i++) {
      // The newest is just before `next` once the ring has wrapped, else the last pushed.
      const record = this.#records[(this.#next - i + n * 2) % n];
      if (wanted(record, filter)) out.push(listed(record));
    }
    return out;
  }

  /** The last `minutes` of 10-second slices, oldest first, empty ones included. */
  live(minutes: number): LiveSample[] {
    const count = Math.min(SAMPLES, Math.max(1, Math.ceil(minutes * 60 / SAMPLE_S)));
    const current = sliceOf(this.#now());
    // A slice with long streams and no ending request still shows its load.
    this.#notePeaks(this.#sampleAt(this.#now()));
    const out: LiveSample[] = [];
    for (let t = current - (count - 1) * SAMPLE_S; t <= current; t += SAMPLE_S) {
      out.push(this.#samples.get(t) ?? emptySample(t));
    }
    return out;
  }

  #notePeaks(sample: LiveSample): void {
    const load = this.#load();
    sample.queue_length_max = Math.max(sample.queue_length_max, load.queue_length);
    sample.open_streams_max = Math.max(sample.open_streams_max, load.open_streams);
  }

  #sampleAt(ms: number): LiveSample {
    const t = sliceOf(ms);
    let sample = this.#samples.get(t);
    if (sample === undefined) {
      sample = emptySample(t);
      this.#samples.set(t, sample);
      // Older than the window: forgotten as new ones come.
      for (const old of this.#samples.keys()) {
        if (old <= t - SAMPLES * SAMPLE_S) this.#samples.delete(old);
      }
    }
    return sample;
  }
}

/** Whether `filter` wants `record` (its limit aside). */
export function wanted(record: RequestRecord, filter: RecordFilter): boolean {
  return (filter.key === undefined || record.key_name === filter.key) &&
    (filter.status === undefined || record.status === filter.status) &&
    (filter.model === undefined || record.model === filter.model);
}

/** `record` as the admin API lists it. */
export function listed(record: RequestRecord): ListedRecord {
  return { ...record, time: new Date(record.time).toISOString() };
}

function sliceOf(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  return seconds - seconds % SAMPLE_S;
}

/** An empty slice starting at `t` (Unix seconds). */
export function emptySample(t: number): LiveSample {
  return {
    t,
    requests: 0,
    errors: 0,
    tokens_in: 0,
    tokens_out: 0,
    errors_by_code: {},
    slotted: 0,
    queue_wait_ms: 0,
    queue_wait_ms_max: 0,
    queue_length_max: 0,
    open_streams_max: 0,
  };
}
