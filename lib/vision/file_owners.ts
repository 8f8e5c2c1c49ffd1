import { GatewayError } from "../errors.ts";
import type { Credential } from "../gigachat/credential.ts";
import { LruCache } from "../lru_cache.ts";

/**
 * Which proxy key made each GigaChat file. In server-side mode every proxy key shares the
 * gateway's one GigaChat key, so GigaChat sees all their files as one account's; this is what
 * keeps key B from listing, reading, deleting or referencing key A's files (uploads and the
 * images the gateway uploads for A's chats alike). Owners are HMACs of proxy keys, never keys.
 */
export interface FileOwners {
  /** Records that `owner` made file `id`. */
  claim(owner: string, id: string): Promise<void>;
  /** The owner of file `id`, if the gateway knows it. */
  ownerOf(id: string): Promise<string | undefined>;
  /** Forgets file `id` (deleted). */
  release(id: string): Promise<void>;
}

/** GigaChat keeps files until they are deleted; a claim outlives any file a user still needs. */
export const CLAIM_TTL_MS = 400 * 24 * 3_600_000;

/** Owners kept in this process, bounded (the oldest claims go first). */
export class MemoryFileOwners implements FileOwners {
  readonly #owners: LruCache<string, string>;

  constructor(maxEntries: number) {
    this.#owners = new LruCache(maxEntries);
  }

  claim(owner: string, id: string): Promise<void> {
    this.#owners.set(id, owner, Date.now() + CLAIM_TTL_MS);
    return Promise.resolve();
  }

  ownerOf(id: string): Promise<string | undefined> {
    return Promise.resolve(this.#owners.get(id));
  }

  release(id: string): Promise<void> {
    this.#owners.delete(id);
    return Promise.resolve();
  }
}

/**
 * Whose files a request may touch: the proxy key's owner id in server-side mode with
 * PROXY_API_KEYS; undefined where the client's key is its own GigaChat account, which GigaChat
 * scopes by itself.
 */
export function fileScopeOf(credential: Credential): string | undefined {
  return credential.owner;
}

/** The 404 for a file another key made, the same as for one that does not exist. */
export function fileNotFound(id: string, param = "file_id"): GatewayError {
  return new GatewayError(404, `No such File object: ${id}`, {
    type: "invalid_request_error",
    code: "file_not_found",
    param,
  });
}

/** Throws the 404 unless `credential` may use file `id`. */
export async function checkFileOwner(
  owners: FileOwners,
  credential: Credential,
  id: string,
  param?: string,
): Promise<void> {
  const scope = fileScopeOf(credential);
  if (scope === undefined) return;
  if (await owners.ownerOf(id) !== scope) throw fileNotFound(id, param);
}
