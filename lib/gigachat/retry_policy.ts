/** How often and how patiently the gateway retries GigaChat. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Longest wait; a Retry-After beyond it is not waited for. */
  maxDelayMs: number;
}

/** Statuses worth another attempt (API-chat.md §6: 429 and 500/502/503/504 are transient). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date), if it is valid. */
export function parseRetryAfterMs(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only the HTTP-date form (RFC 9110 IMF-fixdate): Date.parse alone takes "-1" for a date.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) {
    return undefined;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before attempt `attempt + 1`: the server's Retry-After when given, else exponential
 * backoff plus up to one base delay of jitter. Returns undefined when the server asks for longer than the cap, so
 * the caller answers at once instead of waiting for a retry that would fail.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  options: { retryAfterMs?: number; random?: () => number } = {},
): number | undefined {
  // Like the SDK (API-chat.md §6), a Retry-After of 0 means "no advice": back off as usual.
  if (options.retryAfterMs !== undefined && options.retryAfterMs > 0) {
    return options.retryAfterMs <= policy.maxDelayMs ? options.retryAfterMs : undefined;
  }
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const jitter = (options.random ?? Math.random)() * policy.baseDelayMs;
  return Math.min(policy.maxDelayMs, Math.round(exponential + jitter));
}
