// The gateway's metrics in Prometheus' text format (version 0.0.4), written by hand: counters,
// gauges and histograms over a few bounded labels are all it needs, and a library would add its
// weight to every instance's memory for that. Labels never hold keys; model names outside a
// known set collapse into "other", so a client cannot grow the series without bound.

type Labels = readonly string[];

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * A family's series by their label values, found through one Map per label: the values are
 * mostly constant strings, so a lookup builds no key and hashes nothing new on the hot path.
 */
class SeriesIndex<T> {
  readonly all: T[] = [];
  readonly #root = new Map<string, unknown>();
  readonly #arity: number;

  /** An index for a family with `arity` labels. */
  constructor(arity: number) {
    this.#arity = arity;
  }

  /** The series for `labels`, if they were seen before (never, for the wrong number of labels). */
  get(labels: Labels): T | undefined {
    if (labels.length !== this.#arity) return undefined;
    let level: Map<string, unknown> | undefined = this.#root;
    for (let i = 0; i < labels.length - 1 && level !== undefined; i++) {
      level = level.get(labels[i]) as Map<string, unknown> | undefined;
    }
    return level?.get(labels.length === 0 ? "" : labels[labels.length - 1]) as T | undefined;
  }

  /** Adds the series for `labels`, which must not be there yet. @throws {RangeError} */
  add(labels: Labels, series: T): T {
    if (labels.length !== this.#arity) {
      throw new RangeError(`expected ${this.#arity} label values, got ${labels.length}`);
    }
    let level = this.#root;
    for (let i = 0; i < labels.length - 1; i++) {
      let next = level.get(labels[i]) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(labels[i], next = new Map());
      level = next;
    }
    level.set(labels.length === 0 ? "" : labels[labels.length - 1], series);
    this.all.push(series);
    return series;
  }
}

abstract class Family {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  abstract render(out: string[]): void;

  protected labelText(values: Labels, extra = ""): string {
    const pairs = this.labelNames.map((name, i) => `${name}="${escape(values[i] ?? "")}"`);
    if (extra) pairs.push(extra);
    return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
  }

  protected header(out: string[], type: string): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${type}`);
  }
}

/** A counter, or with `set`/`add` of negatives a gauge. */
class Sum extends Family {
  readonly #values = new SeriesIndex<{ labels: Labels; value: number }>(this.labelNames.length);
  readonly #type: "counter" | "gauge";

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    type: "counter" | "gauge",
  ) {
    super(name, help, labelNames);
    this.#type = type;
  }

  add(labels: Labels, by = 1): void {
    const series = this.#values.get(labels);
    if (series === undefined) this.#values.add(labels, { labels: [...labels], value: by });
    else series.value += by;
  }

  /** Sets a gauge's value for `labels`. */
  set(labels: Labels, value: number): void {
    this.add(labels, value - this.get(labels));
  }

  /** The value for `labels` (0 when never counted); for tests and the queue's own view. */
  get(labels: Labels): number {
    return this.#values.get(labels)?.value ?? 0;
  }

  render(out: string[]): void {
    this.header(out, this.#type);
    if (this.#values.all.length === 0 && this.labelNames.length === 0) out.push(`${this.name} 0`);
    for (const { labels, value } of this.#values.all) {
      out.push(`${this.name}${this.labelText(labels)} ${value}`);
    }
  }
}

class Histogram extends Family {
  readonly #buckets: readonly number[];
  readonly #values = new SeriesIndex<{ labels: Labels; counts: number[]; sum: number }>(
    this.labelNames.length,
  );

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    super(name, help, labelNames);
    this.#buckets = buckets;
  }

  observe(labels: Labels, value: number): void {
    const entry = this.#values.get(labels) ?? this.#values.add(labels, {
      labels: [...labels],
      counts: new Array(this.#buckets.length + 1).fill(0),
      sum: 0,
    });
    let i = 0;
    while (i < this.#buckets.length && value > this.#buckets[i]) i++;
    entry.counts[i]++;
    entry.sum += value;
  }

  render(out: string[]): void {
    this.header(out, "histogram");
    for (const { labels, counts, sum } of this.#values.all) {
      let cumulative = 0;
      this.#buckets.forEach((bound, i) => {
        cumulative += counts[i];
        out.push(`${this.name}_bucket${this.labelText(labels, `le="${bound}"`)} ${cumulative}`);
      });
      cumulative += counts[this.#buckets.length];
      out.push(`${this.name}_bucket${this.labelText(labels, 'le="+Inf"')} ${cumulative}`);
      out.push(`${this.name}_sum${this.labelText(labels)} ${sum}`);
      out.push(`${this.name}_count${this.labelText(labels)} ${cumulative}`);
    }
  }
}

/** Caches whose hits and misses are counted. */
export type CacheName = "tokens" | "models" | "uploads" | "responses";

/** What one finished request contributes. */
export interface RequestObservation {
  route: string;
  status: number;
  model: string | undefined;
  durationMs: number;
  /** Streams: when the headers went out. */
  ttfbMs: number | undefined;
}

/** Every metric the gateway keeps, and its text rendering for `GET /metrics`. */
export class GatewayMetrics {
  readonly #models: ReadonlySet<string>;
  readonly requests = new Sum(
    "gigachat_gateway_requests_total",
    "Requests answered, by route, dialect, status and model.",
    ["route", "dialect", "status", "model"],
    "counter",
  );
  readonly duration = new Histogram(
    "gigachat_gateway_request_duration_seconds",
    "Time from a request's arrival to its answer's end (a stream's last byte).",
    ["route", "dialect"],
    SECONDS_BUCKETS,
  );
  readonly ttfb = new Histogram(
    "gigachat_gateway_time_to_first_byte_seconds",
    "Time from a streamed request's arrival to its response headers.",
    ["route", "dialect"],
    SECONDS_BUCKETS,
  );
  readonly openStreams = new Sum(
    "gigachat_gateway_open_streams",
    "Streamed answers being sent now.",
    [],
    "gauge",
  );
  readonly upstreamAttempts = new Sum(
    "gigachat_gateway_upstream_attempts_total",
    "Calls sent to GigaChat (api) and its OAuth endpoint (oauth), retries included.",
    ["source"],
    "counter",
  );
  readonly upstreamRetries = new Sum(
    "gigachat_gateway_upstream_retries_total",
    "Calls sent again, by what went wrong with the one before (an HTTP status, network, timeout).",
    ["source", "cause"],
    "counter",
  );
  readonly oauthExchanges = new Sum(
    "gigachat_gateway_oauth_exchanges_total",
    "Authorization keys exchanged for access tokens, by outcome.",
    ["outcome"],
    "counter",
  );
  readonly tokens = new Sum(
    "gigachat_gateway_tokens_total",
    "Tokens GigaChat reported, by model and direction (in: prompt, out: completion).",
    ["model", "direction"],
    "counter",
  );
  readonly cache = new Sum(
    "gigachat_gateway_cache_lookups_total",
    "Cache lookups by cache and result (hit or miss).",
    ["cache", "result"],
    "counter",
  );
  readonly queued = new Sum(
    "gigachat_gateway_queue_length",
    "Requests waiting for an upstream slot.",
    [],
    "gauge",
  );
  readonly generating = new Sum(
    "gigachat_gateway_upstream_generations",
    "Chat generations holding an upstream slot now.",
    [],
    "gauge",
  );
  readonly queueWait = new Histogram(
    "gigachat_gateway_queue_wait_seconds",
    "How long requests waited for an upstream slot (only those that had to).",
    [],
    SECONDS_BUCKETS,
  );
  readonly queueRejected = new Sum(
    "gigachat_gateway_queue_rejected_total",
    "Requests answered 429 by the queue: it was full, or the wait ran out.",
    ["reason"],
    "counter",
  );

  readonly fallbacks = new Sum(
    "gigachat_gateway_fallbacks_total",
    "Chat requests sent on to a fallback model (MODEL_FALLBACKS), by model and fallback.",
    ["from", "to"],
    "counter",
  );
  readonly credentialState = new Sum(
    "gigachat_gateway_credential_state",
    "Each GigaChat credential's state (1 for the one it is in): ready, cooling (after a 429) " +
      "or out (refused, or its balance used up).",
    ["credential", "state"],
    "gauge",
  );
  readonly credentialGenerations = new Sum(
    "gigachat_gateway_credential_generations",
    "Chat generations each GigaChat credential runs now (this instance; a lone credential " +
      "without a cap is not counted).",
    ["credential"],
    "gauge",
  );
  readonly credentialFailures = new Sum(
    "gigachat_gateway_credential_failures_total",
    "Calls GigaChat refused per credential: rate_limited (429), refused (401, 403), balance (402).",
    ["credential", "reason"],
    "counter",
  );
  readonly poolLocalCaps = new Sum(
    "gigachat_gateway_pool_local_caps",
    "1 while credential caps are counted per instance because the shared store (REDIS_URL) " +
      "is unreachable.",
    [],
    "gauge",
  );
  readonly tenantRequests = new Sum(
    "gigachat_gateway_tenant_requests_total",
    "Requests of keys made through the admin API, by key name and outcome (ok or error).",
    ["tenant", "outcome"],
    "counter",
  );
  readonly tenantTokens = new Sum(
    "gigachat_gateway_tenant_tokens_total",
    "Tokens GigaChat reported for keys made through the admin API, by key name and direction.",
    ["tenant", "direction"],
    "counter",
  );

  /** The process's memory, read when the metrics are: what sizing an instance needs. */
  readonly memory = new Sum(
    "gigachat_gateway_memory_bytes",
    "Memory of the gateway process: rss (resident), heap_used and heap_total (V8's " +
      "JavaScript heap), external (buffers outside it).",
    ["kind"],
    "gauge",
  );

  readonly #beforeRender: (() => void)[] = [];

  /** `models`: the names that get a label of their own; any other is "other". */
  constructor(models: Iterable<string>) {
    this.#models = new Set(models);
  }

  /** A model name as a label value: known ones as they are, the rest "other". */
  modelLabel(model: string | undefined): string {
    if (model === undefined) return "";
    return this.#models.has(model) ? model : "other";
  }

  /** Records one finished request. */
  observeRequest(observation: RequestObservation): void {
    const dialect = dialectOf(observation.route);
    this.requests.add([
      observation.route,
      dialect,
      String(observation.status),
      this.modelLabel(observation.model),
    ]);
    this.duration.observe([observation.route, dialect], observation.durationMs / 1000);
    if (observation.ttfbMs !== undefined) {
      this.ttfb.observe([observation.route, dialect], observation.ttfbMs / 1000);
    }
  }

  /**
   * Records one finished request of a tenant. Its name comes from the key list an admin keeps,
   * never from a request, so the series stay bounded.
   */
  observeTenant(
    name: string,
    failed: boolean,
    tokens: { input: number; output: number } | undefined,
  ): void {
    this.tenantRequests.add([name, failed ? "error" : "ok"]);
    if (tokens !== undefined && tokens.input > 0) this.tenantTokens.add([name, "in"], tokens.input);
    if (tokens !== undefined && tokens.output > 0) {
      this.tenantTokens.add([name, "out"], tokens.output);
    }
  }

  /** Records the usage GigaChat reported for `model`. */
  observeTokens(model: string, prompt: number, completion: number): void {
    const label = this.modelLabel(model);
    if (prompt > 0) this.tokens.add([label, "in"], prompt);
    if (completion > 0) this.tokens.add([label, "out"], completion);
  }

  /** Records a cache lookup. */
  cacheLookup(cache: CacheName, hit: boolean): void {
    this.cache.add([cache, hit ? "hit" : "miss"]);
  }

  /** Runs `update` before each rendering: gauges read from their owner's state. */
  beforeRender(update: () => void): void {
    this.#beforeRender.push(update);
  }

  /** The whole registry in Prometheus' text format. */
  render(): string {
    for (const update of this.#beforeRender) update();
    const out: string[] = [];
    const usage = Deno.memoryUsage();
    for (
      const [kind, bytes] of [
        ["rss", usage.rss],
        ["heap_used", usage.heapUsed],
        ["heap_total", usage.heapTotal],
        ["external", usage.external],
      ] as const
    ) {
      this.memory.set([kind], bytes);
    }
    for (
      const family of [
        this.requests,
        this.duration,
        this.ttfb,
        this.openStreams,
        this.upstreamAttempts,
        this.upstreamRetries,
        this.oauthExchanges,
        this.tokens,
        this.cache,
        this.queued,
        this.generating,
        this.queueWait,
        this.queueRejected,
        this.fallbacks,
        this.credentialState,
        this.credentialGenerations,
        this.credentialFailures,
        this.poolLocalCaps,
        this.tenantRequests,
        this.tenantTokens,
        this.memory,
      ]
    ) {
      family.render(out);
    }
    return `${out.join("\n")}\n`;
  }
}

/** The dialect a route belongs to. */
export function dialectOf(route: string): string {
  if (route === "/chat/completions") return "chat_completions";
  if (route.startsWith("/responses")) return "responses";
  if (route.startsWith("/messages")) return "messages";
  if (route.startsWith("/v1beta")) return "gemini";
  if (route === "/embeddings") return "embeddings";
  if (route.startsWith("/files")) return "files";
  if (route.startsWith("/models")) return "models";
  return "gateway";
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
