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
  /**
   * Records that `owner` made file `id` through the pool credential `member` (a GigaChat file
   * belongs to the account that uploaded it).
   */
  claim(owner: string, id: string, member?: string): Promise<void>;
  /** The owner of file `id`, if the gateway knows it. */
  ownerOf(id: string): Promise<string | undefined>;
  /** Who made file `id` and through which credential, if the gateway knows. */
  holderOf(id: string): Promise<FileHolder | undefined>;
  /** Forgets file `id` (deleted). */
  release(id: string): Promise<void>;
}

/** Who made a file: the owner id of its key ("" for none), and the pool credential it is in. */
export interface FileHolder {
  owner: string;
  member?: string;
}

/** A claim as one stored string: owner ids and credential names hold no line break. */
export function claimText(owner: string, member: string | undefined): string {
  return member === undefined ? owner : `${owner}\n${member}`;
}

/** The {@linkcode FileHolder} of a stored claim. */
export function parseClaim(text: string | undefined): FileHolder | undefined {
  if (text === undefined) return undefined;
  const at = text.indexOf("\n");
  return at < 0 ? { owner: text } : { owner: text.slice(0, at), member: text.slice(at + 1) };
}

/** GigaChat keeps files until they are deleted; a claim outlives any file a user still needs. */
export const CLAIM_TTL_MS = 400 * 24 * 3_600_000;

/** Owners kept in this process, bounded (the oldest claims go first). */
export class MemoryFileOwners implements FileOwners {
  readonly #owners: LruCache<string, string>;

  constructor(maxEntries: number) {
    this.#owners = new LruCache(maxEntries);
  }

  claim(owner: string, id: string, member?: string): Promise<void> {
    this.#owners.set(id, claimText(owner, member), Date.now() + CLAIM_TTL_MS);
    return Promise.resolve();
  }

  ownerOf(id: string): Promise<string | undefined> {
    return Promise.resolve(parseClaim(this.#owners.get(id))?.owner);
  }

  holderOf(id: string): Promise<FileHolder | undefined> {
    return Promise.resolve(parseClaim(this.#owners.get(id)));
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

/**
 * Throws the 404 unless `credential` may use file `id`; returns what the gateway knows of the
 * file's maker.
 */
export async function checkFileOwner(
  owners: FileOwners,
  credential: Credential,
  id: string,
  param?: string,
): Promise<FileHolder | undefined> {
  const scope = fileScopeOf(credential);
  // In pass-through mode GigaChat keeps each key's files apart, and the gateway claims none.
  if (scope === undefined && credential.member === undefined) return undefined;
  const holder = await owners.holderOf(id);
  if (scope !== undefined && holder?.owner !== scope) throw fileNotFound(id, param);
  return holder;
}
