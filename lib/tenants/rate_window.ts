/**
 * Requests per minute per tenant, as a sliding window estimated from this minute's count and
 * the last one's (the previous minute weighted by how much of it the window still covers).
 */
export class RateWindows {
  readonly #counts = new Map<string, { minute: number; current: number; previous: number }>();

  /** Counts a request of `id`; the seconds to wait instead when `limit` is reached. */
  admit(
    id: string,
    limit: number,
    now = Date.now(),
  ): { ok: true } | { ok: false; retryAfter: number } {
    const minute = Math.floor(now / 60_000);
    let entry = this.#counts.get(id);
    if (entry === undefined || entry.minute < minute - 1) {
      entry = { minute, current: 0, previous: 0 };
    } else if (entry.minute === minute - 1) {
      entry = { minute, current: 0, previous: entry.current };
    }
    this.#counts.set(id, entry);
    const into = (now % 60_000) / 60_000;
    const estimate = entry.previous * (1 - into) + entry.current;
    if (estimate + 1 > limit) {
      return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - into) * 60)) };
    }
    entry.current++;
    return { ok: true };
  }
}
