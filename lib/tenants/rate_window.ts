/** The verdict on one more request: let through, or the seconds to wait. */
export type Verdict = { ok: true } | { ok: false; retryAfter: number };

/** Where requests per minute are counted: in this process, or in Redis for every instance. */
export interface RequestCounter {
  /** Counts a request of `id` unless `limit` is reached. */
  admit(id: string, limit: number, now?: number): Promise<Verdict>;
}

/**
 * Requests per minute per tenant, as a sliding window estimated from this minute's count and
 * the last one's (the previous minute weighted by how much of it the window still covers).
 */
export class RateWindows implements RequestCounter {
  readonly #counts = new Map<string, { minute: number; current: number; previous: number }>();

  /** Counts a request of `id`; the seconds to wait instead when `limit` is reached. */
  admit(id: string, limit: number, now = Date.now()): Promise<Verdict> {
    return Promise.resolve(this.count(id, limit, now));
  }

  /** The same, synchronously. */
  count(id: string, limit: number, now = Date.now()): Verdict {
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
    if (estimate + 1 > limit) return { ok: false, retryAfter: waitFor(entry, limit, into) };
    entry.current++;
    return { ok: true };
  }
}

/**
 * Seconds until the estimate leaves room for one more: within this minute, while the last
 * minute's weight fades; else into the next, while this minute's does.
 */
export function waitFor(
  entry: { current: number; previous: number },
  limit: number,
  into: number,
): number {
  const room = limit - 1;
  let at: number;
  if (entry.current <= room && entry.previous > 0) {
    // previous * (1 - x) + current <= room  ⇔  x >= 1 - (room - current) / previous
    at = 1 - (room - entry.current) / entry.previous;
  } else {
    // In the next minute this one is the previous: current * (1 - x) <= room.
    at = 1 + (entry.current > 0 ? Math.max(0, 1 - room / entry.current) : 0);
  }
  return Math.max(1, Math.ceil((at - into) * 60));
}
