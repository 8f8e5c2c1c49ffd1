// The load generator: autocannon (npm), run in the bench's own process, which does nothing else
// while it runs. autocannon keeps its latency histogram in whole milliseconds, too coarse for a
// 1 ms target, so each response's exact time (its "response" event, in fractional ms) is kept
// here and the percentiles are computed from those.
// @ts-types="@types/autocannon"
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds to run; ignored when `amount` is given. */
  durationS?: number;
  /** Exactly this many requests, then stop. */
  amount?: number;
}

export interface LoadResult {
  connections: number;
  /** Requests answered 2xx. */
  ok: number;
  /** Non-2xx answers plus connection errors and timeouts. */
  failed: number;
  durationS: number;
  /** 2xx answers per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Runs autocannon once; latency percentiles are over the 2xx responses. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: options.url,
      method: options.method ?? "GET",
      headers: options.headers,
      body: options.body,
      connections: options.connections,
      duration: options.durationS ?? 10,
      amount: options.amount,
      // A request unanswered for this long counts as failed rather than stalling the run.
      timeout: 30,
    }, (error: unknown, result: autocannon.Result) => {
      if (error) return reject(error);
      const sorted = Float64Array.from(latencies).sort();
      const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
      resolve({
        connections: options.connections,
        ok: result["2xx"],
        failed: result.non2xx + result.errors + result.timeouts,
        durationS: result.duration,
        rps: result["2xx"] / result.duration,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        meanMs: mean,
      });
    });
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/** Nearest-rank percentile of an ascending array; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
