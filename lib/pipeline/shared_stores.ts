// The gateway's state in a shared store (REDIS_URL), so several instances behind a load
// balancer serve one conversation and upload an image once.
import type { Logger } from "../log.ts";
import type { UploadCache } from "../vision/upload_cache.ts";
import {
  CLAIM_TTL_MS,
  claimText,
  type FileHolder,
  type FileOwners,
  parseClaim,
} from "../vision/file_owners.ts";
import { type ResponseStore, type StoredResponse, utf8Length } from "./response_store.ts";
import type { KeyValue } from "./shared_state.ts";

/**
 * Stored responses in the shared store, per owner, with RESPONSES_STORE_TTL_MS. One larger
 * than RESPONSES_STORE_MAX_BYTES (in UTF-8) is not kept, RESPONSES_STORE_MAX=0 keeps none;
 * otherwise the store's own memory policy (Redis `maxmemory`) bounds the total, not the count,
 * and no share per key is kept there. Failures are
 * 503s: a continued conversation cannot be answered without its history.
 */
export class SharedResponseStore implements ResponseStore {
  readonly #kv: KeyValue;
  readonly #o: { maxEntries: number; maxBytes: number; ttlMs: number };

  constructor(kv: KeyValue, options: { maxEntries: number; maxBytes: number; ttlMs: number }) {
    this.#kv = kv;
    this.#o = options;
  }

  async save(owner: string, stored: StoredResponse): Promise<boolean> {
    if (this.#o.maxEntries === 0 || this.#o.ttlMs === 0) return false;
    const text = JSON.stringify(stored);
    if (utf8Length(text) > this.#o.maxBytes) return false;
    await this.#kv.set(keyOf(owner, stored.id), text, this.#o.ttlMs);
    return true;
  }

  async get(owner: string, id: string): Promise<StoredResponse | undefined> {
    // Responses stored by builds before conversations were chains are under the old key.
    const text = await this.#kv.get(keyOf(owner, id)) ?? await this.#kv.get(oldKeyOf(owner, id));
    if (text === undefined) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      return isStored(value, id) ? value : undefined;
    } catch {
      // Not the gateway's writing: as good as absent.
      return undefined;
    }
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const deleted = await this.#kv.delete(keyOf(owner, id));
    return await this.#kv.delete(oldKeyOf(owner, id)) || deleted;
  }

  async touch(owner: string, ids: readonly string[]): Promise<void> {
    if (this.#o.ttlMs === 0) return;
    await Promise.all(ids.map((id) => this.#kv.touch(keyOf(owner, id), this.#o.ttlMs)));
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

/**
 * Where a response is kept. The owner is a hash of a key, never the key itself. `resp2`: a
 * chain link, which a build from before chains must not read as a whole conversation (it
 * would answer from the last turn alone); under `resp`, it finds nothing and says so.
 */
function keyOf(owner: string, id: string): string {
  return `resp2:${owner}:${id}`;
}

function oldKeyOf(owner: string, id: string): string {
  return `resp:${owner}:${id}`;
}

/** What the gateway wrote: anything else in its place is as good as absent. */
function isStored(value: unknown, id: string): value is StoredResponse {
  if (typeof value !== "object" || value === null) return false;
  const stored = value as Partial<StoredResponse>;
  return stored.id === id && Array.isArray(stored.input) &&
    typeof stored.response === "object" && stored.response !== null &&
    Array.isArray((stored.response as { output?: unknown }).output);
}

/** Owners in the store several instances share (REDIS_URL); failures are 503s from it. */
export class SharedFileOwners implements FileOwners {
  readonly #kv: KeyValue;

  constructor(kv: KeyValue) {
    this.#kv = kv;
  }

  claim(owner: string, id: string, member?: string): Promise<void> {
    return this.#kv.set(`file-owner:${id}`, claimText(owner, member), CLAIM_TTL_MS);
  }

  async ownerOf(id: string): Promise<string | undefined> {
    return (await this.holderOf(id))?.owner;
  }

  async holderOf(id: string): Promise<FileHolder | undefined> {
    return parseClaim(await this.#kv.get(`file-owner:${id}`));
  }

  async release(id: string): Promise<void> {
    await this.#kv.delete(`file-owner:${id}`);
  }
}
