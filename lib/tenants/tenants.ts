import { GatewayError } from "../errors.ts";
import { hashSecret, newKeyId, newSecret } from "./key_secret.ts";
import type { KeyStore, UsageBook } from "./key_store.ts";
import { RateWindows, type RequestCounter } from "./rate_window.ts";
import { type GenerationCounter, LocalGenerations } from "./generations.ts";
import {
  applyChange,
  type KeyChange,
  refusalOf,
  type Tenant,
  type TenantLimits,
} from "./tenant.ts";

/** Who a request came from, as the log line and the usage record name it. */
export interface TenantRef {
  id: string;
  name: string;
}

/**
 * Proxy keys as tenants (issue #26): made, changed and revoked through the admin API, each with
 * its limits, and its use recorded per day and model. A revoked key is refused at once: every
 * lookup reads the store's current record.
 */
export class Tenants {
  readonly keys: KeyStore;
  readonly usage: UsageBook;
  readonly #requests: RequestCounter;
  readonly #generations: GenerationCounter;

  /**
   * `counters`: where requests per minute, generations at once and tokens are counted: this
   * process by default, or Redis for every instance.
   */
  constructor(
    keys: KeyStore,
    usage: UsageBook,
    counters: { requests?: RequestCounter; generations?: GenerationCounter } = {},
  ) {
    this.keys = keys;
    this.usage = usage;
    this.#requests = counters.requests ?? new RateWindows();
    this.#generations = counters.generations ?? new LocalGenerations(usage);
  }

  /** Makes a key; its secret is returned once and kept only as a hash. */
  async create(input: KeyChange & { name: string }): Promise<{ tenant: Tenant; secret: string }> {
    const secret = newSecret();
    const base: Tenant = {
      id: newKeyId(),
      name: input.name,
      hash: hashSecret(secret),
      prefix: secret.slice(0, 8),
      createdAt: Date.now(),
      limits: {},
      disabled: false,
    };
    const tenant = applyChange(base, input);
    await this.keys.put(tenant);
    return { tenant, secret };
  }

  /** Changes a key; undefined when there is none. */
  async change(id: string, change: KeyChange): Promise<Tenant | undefined> {
    const tenant = await this.keys.get(id);
    if (tenant === undefined) return undefined;
    const next = applyChange(tenant, change);
    await this.keys.put(next);
    return next;
  }

  /** The tenant a presented secret belongs to, if any. */
  find(secret: string): Promise<Tenant | undefined> {
    return this.keys.byHash(hashSecret(secret));
  }

  /**
   * Lets a request of `tenant` through, or refuses it: a revoked or expired key is a 401, one
   * over its requests per minute a 429 with Retry-After, before anything goes upstream.
   */
  async admit(tenant: Tenant, now = Date.now()): Promise<void> {
    const refusal = refusalOf(tenant, now);
    if (refusal !== undefined) {
      throw new GatewayError(401, refusal, {
        type: "authentication_error",
        code: "invalid_api_key",
      });
    }
    const rpm = tenant.limits.rpm;
    if (rpm === undefined) return;
    const verdict = await this.#requests.admit(tenant.id, rpm, now);
    if (verdict.ok) return;
    throw new GatewayError(
      429,
      `This key may make ${rpm} requests a minute; try again in ${verdict.retryAfter} s.`,
      {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        headers: { "Retry-After": String(verdict.retryAfter) },
      },
    );
  }

  /**
   * Starts a generation of tenant `id`: counted against its concurrent generations and its
   * token limits (reserving the `tokens` it may use), or refused with a 429. Returns how to end it, with the
   * tokens it used.
   */
  reserve(
    id: string,
    limits: TenantLimits,
    tokens: () => number,
    now = Date.now(),
  ): Promise<(used: number, cost: number) => void> {
    const limited = (limits.concurrent ?? limits.tpm ?? limits.dailyTokens ??
      limits.monthlyTokens ?? limits.monthlyBudget) !== undefined;
    // The estimate reads the whole request: only keys with such limits pay for it.
    return limited ? this.#generations.start(id, limits, tokens(), now) : Promise.resolve(() => {});
  }

  /** Adds one finished request to its tenant's usage of the day. */
  record(
    tenant: TenantRef,
    model: string | undefined,
    failed: boolean,
    tokens: { input: number; output: number } | undefined,
    cost = 0,
    now = Date.now(),
  ): void {
    this.usage.add({
      day: new Date(now).toISOString().slice(0, 10),
      key_id: tenant.id,
      key_name: tenant.name,
      model: model ?? "",
      requests: 1,
      errors: failed ? 1 : 0,
      tokens_in: tokens?.input ?? 0,
      tokens_out: tokens?.output ?? 0,
      cost,
    });
  }

  /** Usage still held written, then the stores let go of. */
  async close(): Promise<void> {
    await this.usage.close();
    this.keys.close();
  }
}
