import { abortable } from "../abortable.ts";
import { LruCache } from "../lru_cache.ts";
import type { Credential } from "./credential.ts";
import type { AccessToken } from "./oauth.ts";

/** How many upstream attempts a piece of work took. */
export interface AttemptCount {
  upstreamAttempts: number;
}

interface Exchange {
  token: Promise<string>;
  attempts: AttemptCount;
}

export interface TokenManagerOptions {
  /** Refresh this long before a token expires. */
  refreshBufferMs: number;
  /** Most credentials whose tokens are kept. */
  maxEntries: number;
  /**
   * Performs the OAuth exchange (retries and error mapping included), counting its attempts
   * in `trace`.
   */
  requestToken: (credential: Credential, trace: AttemptCount) => Promise<AccessToken>;
  now?: () => number;
  /** Told whether each lookup found a token (metrics). */
  onLookup?: (hit: boolean) => void;
}

/**
 * Access tokens per credential: cached until shortly before expiry, bounded, and single-flight
 * so any number of concurrent requests with a cold or stale token cause one OAuth call.
 */
export class TokenManager {
  readonly #options: TokenManagerOptions;
  readonly #now: () => number;
  readonly #cache: LruCache<string, string>;
  readonly #pending = new Map<string, Exchange>();

  constructor(options: TokenManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#cache = new LruCache(options.maxEntries, this.#now);
  }

  /**
   * A usable access token for `credential`; `signal` stops this caller waiting, not the
   * exchange. The attempts of an exchange this caller waited for are added to `trace`.
   */
  get(credential: Credential, signal?: AbortSignal, trace?: AttemptCount): Promise<string> {
    const cached = this.#cache.get(credential.id);
    this.#options.onLookup?.(cached !== undefined);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.#pending.get(credential.id);
    if (pending === undefined) {
      const attempts = { upstreamAttempts: 0 };
      pending = { token: this.#exchange(credential, attempts), attempts };
      this.#pending.set(credential.id, pending);
    }
    const { token, attempts } = pending;
    const counted = trace === undefined
      ? token
      : token.finally(() => trace.upstreamAttempts += attempts.upstreamAttempts);
    return abortable(counted, signal);
  }

  /** Whether a usable token for `credential` is at hand (no exchange needed). */
  has(credential: Credential): boolean {
    return this.#cache.get(credential.id) !== undefined;
  }

  /** Forgets `token` after GigaChat refused it, unless a newer token already replaced it. */
  invalidate(credential: Credential, token: string): void {
    if (this.#cache.get(credential.id) === token) this.#cache.delete(credential.id);
  }

  async #exchange(credential: Credential, attempts: AttemptCount): Promise<string> {
    try {
      const { token, expiresAt } = await this.#options.requestToken(credential, attempts);
      const now = this.#now();
      // A token shorter-lived than the buffer is still used for half its life, not refetched
      // on every request.
      const refreshAt = Math.max(
        expiresAt - this.#options.refreshBufferMs,
        now + (expiresAt - now) / 2,
      );
      if (refreshAt > now) this.#cache.set(credential.id, token, refreshAt);
      return token;
    } finally {
      this.#pending.delete(credential.id);
    }
  }
}
