import type { UsageBook } from "./key_store.ts";
import type { TenantLimits } from "./tenant.ts";
import { TokenBudgets, tooManyRunning } from "./token_budget.ts";

/** Where a tenant's generations at once and tokens are counted. */
export interface GenerationCounter {
  /**
   * Starts a generation of `id` under `limits`, reserving `tokens`, or refuses it with a 429
   * GatewayError. Returns its end, with the tokens it used.
   */
  start(
    id: string,
    limits: TenantLimits,
    tokens: number,
    now: number,
  ): Promise<(used: number, cost: number) => void>;
}

/** Generations and tokens counted in this process, each tenant's day started from its usage. */
export class LocalGenerations implements GenerationCounter {
  readonly #usage: UsageBook;
  readonly #budgets = new TokenBudgets();
  readonly #running = new Map<string, number>();
  /** Tenants whose day and month were read from the usage record. */
  readonly #seeded = new Set<string>();

  constructor(usage: UsageBook) {
    this.#usage = usage;
  }

  async start(
    id: string,
    limits: TenantLimits,
    tokens: number,
    now: number,
  ): Promise<(used: number, cost: number) => void> {
    const running = this.#running.get(id) ?? 0;
    if (limits.concurrent !== undefined && running >= limits.concurrent) {
      throw tooManyRunning(limits.concurrent, running);
    }
    const settle = await this.#reserveTokens(id, limits, tokens, now);
    this.#running.set(id, (this.#running.get(id) ?? 0) + 1);
    let done = false;
    return (used, cost) => {
      if (done) return;
      done = true;
      const left = (this.#running.get(id) ?? 1) - 1;
      if (left === 0) this.#running.delete(id);
      else this.#running.set(id, left);
      settle(used, cost);
    };
  }

  async #reserveTokens(
    id: string,
    limits: TenantLimits,
    tokens: number,
    now: number,
  ): Promise<(used: number, cost: number) => void> {
    if (
      (limits.tpm ?? limits.dailyTokens ?? limits.monthlyTokens ?? limits.monthlyBudget) ===
        undefined
    ) {
      return () => {};
    }
    if (!this.#seeded.has(id)) {
      // What was used before a restart counts against today's and this month's budgets.
      const date = new Date(now).toISOString();
      const month = await this.#usage.query(`${date.slice(0, 7)}-01`, date.slice(0, 10), id);
      const total = (rows: typeof month) =>
        rows.reduce((sum, row) => sum + row.tokens_in + row.tokens_out, 0);
      this.#budgets.seed(
        id,
        total(month.filter((row) => row.day === date.slice(0, 10))),
        total(month),
        now,
        month.reduce((sum, row) => sum + row.cost, 0),
      );
      this.#seeded.add(id);
    }
    return this.#budgets.reserve(id, limits, tokens, now);
  }
}
