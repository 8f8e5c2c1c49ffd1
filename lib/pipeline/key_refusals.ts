import { GatewayError } from "../errors.ts";
import { LruCache } from "../lru_cache.ts";

export interface KeyRefusalOptions {
  /** How long a key GigaChat refused is refused here without asking again. */
  rememberMs: number;
  /** Refused keys one client address may try per window before it must wait. */
  perAddress: number;
  windowMs: number;
  /** Keys and addresses remembered at most (the oldest go first). */
  maxEntries: number;
  now?: () => number;
}

/**
 * Pass-through mode turns every client key into a GigaChat OAuth exchange. Without this, each
 * request with a wrong key costs one exchange, so anyone could make the gateway hammer
 * GigaChat's OAuth. A refused key (by its hash) is refused here for a while, and a client
 * address that has had many keys refused waits before it may try another unknown one.
 */
export class KeyRefusals {
  readonly #o: KeyRefusalOptions;
  readonly #now: () => number;
  readonly #keys: LruCache<string, GatewayError>;
  /** Refused keys per address in the window that started with its first refusal. */
  readonly #addresses: LruCache<string, { count: number; until: number }>;

  constructor(options: KeyRefusalOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#keys = new LruCache(options.maxEntries, this.#now);
    this.#addresses = new LruCache(options.maxEntries, this.#now);
  }

  /**
   * Runs `exchange` for a key not yet known to be good, unless the key was refused lately
   * (its refusal again) or `address` has had too many refused (a 429).
   */
  async check(
    keyId: string,
    address: string | undefined,
    exchange: () => Promise<void>,
  ): Promise<void> {
    const known = this.#keys.get(keyId);
    if (known !== undefined) throw known;
    const tried = address === undefined ? undefined : this.#addresses.get(address);
    if (tried !== undefined && tried.count >= this.#o.perAddress) {
      const seconds = Math.max(1, Math.ceil((tried.until - this.#now()) / 1000));
      throw new GatewayError(
        429,
        `Too many refused API keys from this address; wait ${seconds} s before trying another.`,
        {
          type: "rate_limit_error",
          code: "too_many_refused_keys",
          headers: { "Retry-After": String(seconds) },
        },
      );
    }
    try {
      await exchange();
    } catch (error) {
      if (error instanceof GatewayError && error.status === 401) {
        this.#keys.set(keyId, error, this.#now() + this.#o.rememberMs);
        if (address !== undefined) this.#countRefusal(address);
      }
      throw error;
    }
  }

  // The window starts at an address's first refusal; later ones do not extend it.
  #countRefusal(address: string): void {
    const entry = this.#addresses.get(address);
    if (entry !== undefined) return void entry.count++;
    const until = this.#now() + this.#o.windowMs;
    this.#addresses.set(address, { count: 1, until }, until);
  }
}
