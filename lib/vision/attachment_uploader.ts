import { GatewayError } from "../errors.ts";
import type { Credential } from "../gigachat/credential.ts";
import { fileForm } from "../gigachat/file_form.ts";
import type { CallFields, UpstreamClient } from "../gigachat/upstream_client.ts";
import { toHex } from "../hex.ts";
import type { UploadCache } from "./upload_cache.ts";
import type { FileOwners } from "./file_owners.ts";

/** A file to attach to a chat message: an image or a document. */
export interface Attachment {
  bytes: Uint8Array;
  filename: string;
  mime: string;
}

export type UploadCall = CallFields;

/**
 * Uploads chat attachments to GigaChat's /files, remembering each by credential, proxy key and
 * SHA-256 of its bytes: agents re-send the whole conversation every turn, and its images must
 * not be uploaded again each time. A file uploaded for a proxy key is that key's alone.
 */
export class AttachmentUploader {
  readonly #upstream: UpstreamClient;
  readonly #ttlMs: number;
  readonly #cache: UploadCache;
  readonly #onLookup: ((hit: boolean) => void) | undefined;
  readonly #owners: FileOwners | undefined;

  constructor(
    upstream: UpstreamClient,
    options: {
      ttlMs: number;
      cache: UploadCache;
      onLookup?: (hit: boolean) => void;
      owners?: FileOwners;
    },
  ) {
    this.#upstream = upstream;
    this.#owners = options.owners;
    this.#ttlMs = options.ttlMs;
    this.#cache = options.cache;
    this.#onLookup = options.onLookup;
  }

  /** The GigaChat file id for `file`, uploading it unless it was uploaded recently. */
  async upload(
    file: Attachment,
    credential: Credential,
    call: UploadCall,
  ): Promise<{ id: string; cached: boolean }> {
    const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(file.bytes));
    // Per proxy key too: a cached file id is only ever handed to the key that owns the file.
    const key = credential.owner === undefined
      ? `${credential.id}:${toHex(digest)}`
      : `${credential.id}:${credential.owner}:${toHex(digest)}`;
    const cached = await this.#cache.get(key);
    this.#onLookup?.(cached !== undefined);
    if (cached !== undefined) return { id: cached, cached: true };
    const answer = await this.#upstream.requestJson<{ id?: unknown }>({
      ...call,
      method: "POST",
      path: "/files",
      credential,
      upload: fileForm(file.bytes, file.filename, file.mime),
    });
    if (typeof answer?.id !== "string" || answer.id === "") {
      throw new GatewayError(502, "GigaChat's file upload answered without an id", {
        type: "server_error",
        code: "upstream_error",
      });
    }
    if (credential.owner !== undefined) {
      await this.#owners?.claim(credential.owner, answer.id, credential.member);
    }
    if (this.#ttlMs > 0) await this.#cache.set(key, answer.id, this.#ttlMs);
    return { id: answer.id, cached: false };
  }
}
