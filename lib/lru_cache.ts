/** A bounded map: least recently used entries go first, expired entries are never returned. */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  // The most recently used key: a hit on it (one key serving every request) needs no reordering.
  #newest: K | undefined;

  constructor(maxEntries: number, now: () => number = Date.now) {
    if (!(maxEntries >= 1)) throw new RangeError("LruCache needs room for at least one entry");
    this.#max = maxEntries;
    this.#now = now;
  }

  /** The live value for `key`, marking it most recently used; expired entries are dropped. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.delete(key);
      return undefined;
    }
    if (key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#newest = key;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms since the epoch), evicting the oldest entry when full. */
  set(key: K, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    this.#newest = key;
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
    }
  }

  /** Removes `key`. */
  delete(key: K): void {
    this.#entries.delete(key);
    if (key === this.#newest) this.#newest = undefined;
  }

  /** How many entries are held, expired ones included until touched or evicted. */
  get size(): number {
    return this.#entries.size;
  }
}
