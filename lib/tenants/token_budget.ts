import { GatewayError } from "../errors.ts";
import type { TenantLimits } from "./tenant.ts";

/** A tenant's tokens: used this minute, day and month, and reserved by requests under way. */
interface Spent {
  day: string;
  month: string;
  dayTokens: number;
  monthTokens: number;
  /** Money spent this month. */
  monthCost: number;
  /** Tokens per minute: this minute's and the last one's, for a sliding estimate. */
  minute: number;
  thisMinute: number;
  lastMinute: number;
  reserved: number;
}

/**
 * Token limits per tenant (tokens per minute, per day, per month). A request reserves what it
 * may use before it goes upstream (its prompt's estimate and its max_tokens) and is let through
 * while what is used and reserved is under the limit; it settles at the end for what GigaChat
 * reported. So a burst overshoots a limit by at most one request's reservation.
 */
export class TokenBudgets {
  readonly #spent = new Map<string, Spent>();
  readonly #clock: () => number;

  /** `clock`: when a request settles (tests set it; a reservation's own time is its `now`). */
  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Starts a tenant's day and month from the usage already recorded. */
  seed(id: string, dayTokens: number, monthTokens: number, now = Date.now(), monthCost = 0): void {
    const spent = this.#of(id, now);
    spent.dayTokens = dayTokens;
    spent.monthTokens = monthTokens;
    spent.monthCost = monthCost;
  }

  /**
   * Reserves `tokens` for `id`, or refuses: a day's or month's budget spent is a 429
   * insufficient_quota, over tokens per minute a 429 rate_limit_exceeded with Retry-After.
   * Returns how to settle: with the tokens the request really used.
   */
  reserve(
    id: string,
    limits: TenantLimits,
    tokens: number,
    now = Date.now(),
  ): (used: number, cost?: number) => void {
    const spent = this.#of(id, now);
    const { dailyTokens, monthlyTokens, tpm, monthlyBudget } = limits;
    if (monthlyBudget !== undefined && spent.monthCost >= monthlyBudget) {
      throw moneySpent(monthlyBudget, spent.monthCost);
    }
    // What is used and reserved already must leave room: a request may then overshoot the
    // limit by at most its own reservation.
    const ahead = spent.reserved;
    if (monthlyTokens !== undefined && spent.monthTokens + ahead >= monthlyTokens) {
      throw budgetSpent("month", monthlyTokens, spent.monthTokens);
    }
    if (dailyTokens !== undefined && spent.dayTokens + ahead >= dailyTokens) {
      throw budgetSpent("day", dailyTokens, spent.dayTokens);
    }
    if (tpm !== undefined) {
      const into = (now % 60_000) / 60_000;
      const recent = spent.lastMinute * (1 - into) + spent.thisMinute;
      if (recent + ahead >= tpm) throw tpmSpent(tpm, into);
    }
    spent.reserved += tokens;
    let settled = false;
    return (used, cost = 0) => {
      if (settled) return;
      settled = true;
      const current = this.#of(id, this.#clock());
      current.reserved = Math.max(0, current.reserved - tokens);
      current.dayTokens += used;
      current.monthTokens += used;
      current.thisMinute += used;
      current.monthCost += cost;
    };
  }

  /** The tenant's counters, rolled over to the current minute, day and month. */
  #of(id: string, now: number): Spent {
    const date = new Date(now).toISOString();
    const day = date.slice(0, 10);
    const month = date.slice(0, 7);
    const minute = Math.floor(now / 60_000);
    let spent = this.#spent.get(id);
    if (spent === undefined) {
      spent = {
        day,
        month,
        dayTokens: 0,
        monthTokens: 0,
        monthCost: 0,
        minute,
        thisMinute: 0,
        lastMinute: 0,
        reserved: 0,
      };
      this.#spent.set(id, spent);
    }
    if (spent.month !== month) [spent.month, spent.monthTokens, spent.monthCost] = [month, 0, 0];
    if (spent.day !== day) [spent.day, spent.dayTokens] = [day, 0];
    if (spent.minute !== minute) {
      spent.lastMinute = spent.minute === minute - 1 ? spent.thisMinute : 0;
      spent.thisMinute = 0;
      spent.minute = minute;
    }
    return spent;
  }
}

/** A 429 for tokens per minute used up, with the seconds left of this minute. */
export function tpmSpent(tpm: number, into: number): GatewayError {
  const retryAfter = Math.max(1, Math.ceil((1 - into) * 60));
  return new GatewayError(
    429,
    `This key may use ${tpm} tokens a minute; try again in ${retryAfter} s.`,
    {
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      headers: { "Retry-After": String(retryAfter) },
    },
  );
}

/** A 429 for too many generations at once. */
export function tooManyRunning(limit: number, running: number): GatewayError {
  return new GatewayError(
    429,
    `This key may run ${limit} generations at once; ${running} are under way.`,
    { type: "rate_limit_error", code: "rate_limit_exceeded", headers: { "Retry-After": "2" } },
  );
}

/** A 429 insufficient_quota for a day's or month's budget spent, until the period renews. */
export function budgetSpent(period: "day" | "month", budget: number, used: number): GatewayError {
  return new GatewayError(
    429,
    `This key's budget of ${budget} tokens a ${period} is spent (${used} used); it renews ` +
      `next ${period} (UTC), or an admin may raise it.`,
    {
      type: "insufficient_quota",
      code: "insufficient_quota",
      headers: { "Retry-After": String(secondsUntilNext(period)) },
    },
  );
}

/** Seconds until the next UTC day or month begins. */
export function secondsUntilNext(period: "day" | "month", now = Date.now()): number {
  const date = new Date(now);
  const next = period === "day"
    ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
    : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
}

/** A 429 insufficient_quota for a month's money budget spent. */
export function moneySpent(budget: number, spent: number): GatewayError {
  return new GatewayError(
    429,
    `This key's budget of ${budget} a month is spent (${Math.round(spent * 100) / 100} used, at ` +
      "MODEL_PRICES); it renews next month (UTC), or an admin may raise it.",
    {
      type: "insufficient_quota",
      code: "insufficient_quota",
      headers: { "Retry-After": String(secondsUntilNext("month")) },
    },
  );
}
