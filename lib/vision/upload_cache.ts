import { LruCache } from "../lru_cache.ts";

/** GigaChat file ids of uploaded attachments, by credential and content hash. */
export interface UploadCache {
  get(key: string): Promise<string | undefined>;
  /** Remembers `fileId` for `ttlMs`. */
  set(key: string, fileId: string, ttlMs: number): Promise<void>;
}

/** The embedded upload cache: bounded, in memory, per instance. */
export class MemoryUploadCache implements UploadCache {
  readonly #cache: LruCache<string, string>;

  constructor(maxEntries: number) {
    this.#cache = new LruCache(maxEntries);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#cache.get(key));
  }

  set(key: string, fileId: string, ttlMs: number): Promise<void> {
    this.#cache.set(key, fileId, Date.now() + ttlMs);
    return Promise.resolve();
  }
}
