// Records and slices of recent traffic made safe to keep and to read back: a client chooses its
// model name and path, so strings are cut before they are kept; and what comes back from Redis
// (another program, or another version of the gateway, may have written there) is rebuilt from
// known fields of known types, so nothing else (no content, no secret) ever reaches the admin API.

/** One finished request, as `GET /admin/requests` lists it (`time` as ISO 8601 there). */
export interface RequestRecord {
  /** When it ended (ms since the epoch; formatted only when listed). */
  time: number;
  request_id: string;
  /** The admin API key's name that sent it, if one did. */
  key_name?: string;
  method: string;
  path: string;
  route?: string;
  dialect?: string;
  model?: string;
  status: number;
  duration_ms: number;
  ttfb_ms?: number;
  tokens_in?: number;
  tokens_out?: number;
  error_code?: string;
  /** How a stream ended (complete, client_gone, ...). */
  stream?: string;
  /** How long it waited for a GigaChat slot (generations only). */
  queue_ms?: number;
}

/** One 10-second slice of traffic. */
export interface LiveSample {
  /** Its start, in Unix seconds. */
  t: number;
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  /** Failed requests by error code. */
  errors_by_code: Record<string, number>;
  /** Generations that took a GigaChat slot, with their waits for it added up and the longest. */
  slotted: number;
  queue_wait_ms: number;
  queue_wait_ms_max: number;
  /** The most requests seen waiting, and streams seen open, in the slice. */
  queue_length_max: number;
  open_streams_max: number;
}

/** The gateway's gauges now: requests waiting for a slot, open streams, generations running. */
export interface Load {
  queue_length: number;
  open_streams: number;
  generating: number;
}

/** Longest string a record keeps (model names, paths, error codes...). */
const MAX_TEXT = 200;
/** Error codes kept per slice; more are counted under "other". */
const MAX_CODES = 50;
/** Times Date can format (ms since the epoch). */
const MAX_TIME = 8.64e15;

/** `record` with every string cut to MAX_TEXT (itself when none is longer: the usual case). */
export function boundedRecord(record: RequestRecord): RequestRecord {
  let out: Record<string, unknown> | undefined;
  for (const field in record) {
    const value = record[field as keyof RequestRecord];
    if (typeof value === "string" && value.length > MAX_TEXT) {
      out ??= { ...record };
      out[field] = value.slice(0, MAX_TEXT);
    }
  }
  return (out as RequestRecord | undefined) ?? record;
}

/** A record read back, rebuilt from its known fields; undefined when it is not one. */
export function recordFrom(value: unknown): RequestRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const time = v.time;
  if (typeof time !== "number" || !(Math.abs(time) <= MAX_TIME)) return undefined;
  const request_id = text(v.request_id);
  const status = count(v.status);
  if (request_id === undefined || status === undefined) return undefined;
  return boundedRecord({
    time,
    request_id,
    key_name: text(v.key_name),
    method: text(v.method) ?? "",
    path: text(v.path) ?? "",
    route: text(v.route),
    dialect: text(v.dialect),
    model: text(v.model),
    status,
    duration_ms: amount(v.duration_ms) ?? 0,
    ttfb_ms: amount(v.ttfb_ms),
    tokens_in: count(v.tokens_in),
    tokens_out: count(v.tokens_out),
    error_code: text(v.error_code),
    stream: text(v.stream),
    queue_ms: amount(v.queue_ms),
  });
}

/** A 10-second slice read back, rebuilt from its known fields; undefined when it is not one. */
export function sampleFrom(value: unknown): LiveSample | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const t = count(v.t);
  if (t === undefined) return undefined;
  const errors_by_code: Record<string, number> = {};
  const codes = typeof v.errors_by_code === "object" && v.errors_by_code !== null
    ? Object.entries(v.errors_by_code)
    : [];
  for (const [i, [code, n]] of codes.entries()) {
    const key = i < MAX_CODES ? code.slice(0, MAX_TEXT) : "other";
    errors_by_code[key] = (errors_by_code[key] ?? 0) + (count(n) ?? 0);
  }
  return {
    t,
    requests: count(v.requests) ?? 0,
    errors: count(v.errors) ?? 0,
    tokens_in: count(v.tokens_in) ?? 0,
    tokens_out: count(v.tokens_out) ?? 0,
    errors_by_code,
    slotted: count(v.slotted) ?? 0,
    queue_wait_ms: amount(v.queue_wait_ms) ?? 0,
    queue_wait_ms_max: amount(v.queue_wait_ms_max) ?? 0,
    queue_length_max: count(v.queue_length_max) ?? 0,
    open_streams_max: count(v.open_streams_max) ?? 0,
  };
}

/** Gauges read back; zero where a field is not a count. */
export function loadFrom(value: unknown): Load {
  const v = typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
  return {
    queue_length: count(v.queue_length) ?? 0,
    open_streams: count(v.open_streams) ?? 0,
    generating: count(v.generating) ?? 0,
  };
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A whole number from 0 to 2^53. */
function count(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? value as number : undefined;
}

/** A finite number from 0 up (milliseconds). */
function amount(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
