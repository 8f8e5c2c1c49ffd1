// The gateway's state in a shared store (REDIS_URL), so several instances behind a load
// balancer serve one conversation and upload an image once.
import type { Logger } from "../log.ts";
import type { UploadCache } from "../vision/upload_cache.ts";
import type { ResponseStore, StoredResponse } from "./response_store.ts";
import type { KeyValue } from "./shared_state.ts";

/**
 * Stored responses in the shared store, per credential, with RESPONSES_STORE_TTL_MS. One
 * larger than RESPONSES_STORE_MAX_BYTES is not kept; the store's own memory policy (Redis
 * `maxmemory`) bounds the total. Failures are 503s: a continued conversation cannot be
 * answered without its history.
 */
export class SharedResponseStore implements ResponseStore {
  readonly #kv: KeyValue;
  readonly #o: { maxBytes: number; ttlMs: number };

  constructor(kv: KeyValue, options: { maxBytes: number; ttlMs: number }) {
    this.#kv = kv;
    this.#o = options;
  }

  async save(credentialId: string, stored: StoredResponse): Promise<void> {
    const text = JSON.stringify(stored);
    if (text.length > this.#o.maxBytes || this.#o.ttlMs === 0) return;
    await this.#kv.set(keyOf(credentialId, stored.id), text, this.#o.ttlMs);
  }

  async get(credentialId: string, id: string): Promise<StoredResponse | undefined> {
    const text = await this.#kv.get(keyOf(credentialId, id));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as StoredResponse;
    } catch {
      // Not the gateway's writing: as good as absent.
      return undefined;
    }
  }

  delete(credentialId: string, id: string): Promise<boolean> {
    return this.#kv.delete(keyOf(credentialId, id));
  }
}

/**
 * Upload ids in the shared store. Only a saving: while the store is down, attachments are
 * uploaded again and the request goes on.
 */
export class SharedUploadCache implements UploadCache {
  readonly #kv: KeyValue;
  readonly #log: Logger;

  constructor(kv: KeyValue, log: Logger) {
    this.#kv = kv;
    this.#log = log;
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await this.#kv.get(`upload:${key}`);
    } catch (error) {
      this.#log.warn("upload cache unreachable; uploading again", { error: String(error) });
      return undefined;
    }
  }

  async set(key: string, fileId: string, ttlMs: number): Promise<void> {
    try {
      await this.#kv.set(`upload:${key}`, fileId, ttlMs);
    } catch (error) {
      this.#log.warn("upload cache unreachable; not remembered", { error: String(error) });
    }
  }
}

function keyOf(credentialId: string, id: string): string {
  // The credential id is a hash of the key, never the key itself.
  return `resp:${credentialId}:${id}`;
}
