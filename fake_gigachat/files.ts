// The fake's file store (API-more.md §4): multipart upload with purpose=general, FileObjects
// without a top-level list `object`, delete as POST /files/{id}/delete, raw content download.
import { fileTypeOf } from "../lib/gigachat/file_types.ts";

interface StoredFile {
  id: string;
  bytes: Uint8Array;
  filename: string;
  mime: string;
  created_at: number;
}

export type FileAnswer =
  | { status: number; json: unknown }
  | { status: 200; raw: Uint8Array; contentType: string };

/** Files kept in memory for one fake server. */
export class FakeFiles {
  readonly #files = new Map<string, StoredFile>();
  /** The purposes and part types uploads arrived with, for tests to check. */
  readonly uploads: { purpose: string | null; mime: string; filename: string; size: number }[] = [];

  /** Stores a file the model made (a generated image) and returns its id. */
  addGenerated(bytes: Uint8Array, mime: string): string {
    const id = crypto.randomUUID();
    const filename = `${id}.jpg`;
    this.#files.set(id, { id, bytes, filename, mime, created_at: Math.floor(Date.now() / 1000) });
    return id;
  }

  /** Whether a file with this id is stored. */
  has(id: string): boolean {
    return this.#files.has(id);
  }

  /** Answers a /files request, or undefined when the path is not a files path. */
  async answer(
    method: string,
    path: string,
    contentType: string,
    body: Uint8Array,
  ): Promise<FileAnswer | undefined> {
    if (method === "POST" && path === "/files") return await this.#upload(contentType, body);
    if (method === "GET" && path === "/files") {
      return { status: 200, json: { data: [...this.#files.values()].map(objectOf) } };
    }
    const match = /^\/files\/([^/]+)(\/content|\/delete)?$/.exec(path);
    if (match === null) return undefined;
    const file = this.#files.get(decodeURIComponent(match[1]));
    if (file === undefined) {
      return { status: 404, json: { status: 404, message: "File not found" } };
    }
    if (method === "GET" && match[2] === undefined) return { status: 200, json: objectOf(file) };
    if (method === "GET" && match[2] === "/content") {
      return { status: 200, raw: file.bytes, contentType: file.mime };
    }
    if (method === "POST" && match[2] === "/delete") {
      this.#files.delete(file.id);
      return { status: 200, json: { id: file.id, object: "file", deleted: true } };
    }
    return { status: 405, json: { status: 405, message: "Method not allowed" } };
  }

  async #upload(contentType: string, body: Uint8Array): Promise<FileAnswer> {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } })
        .formData();
    } catch {
      return { status: 400, json: { status: 400, message: "Invalid multipart body" } };
    }
    const file = form.get("file");
    const purpose = form.get("purpose");
    if (!(file instanceof File)) {
      return { status: 400, json: { status: 400, message: "file required" } };
    }
    this.uploads.push({
      purpose: typeof purpose === "string" ? purpose : null,
      mime: file.type,
      filename: file.name,
      size: file.size,
    });
    if (purpose !== "general" && purpose !== "assistant") {
      return {
        status: 422,
        json: { status: 422, message: "purpose: must be general or assistant" },
      };
    }
    const type = fileTypeOf(file.name, file.type);
    if (type === undefined || type.mime !== file.type) {
      return { status: 415, json: { status: 415, message: "Unsupported media type" } };
    }
    if (file.size > type.maxBytes) {
      return { status: 413, json: { status: 413, message: "Too large" } };
    }
    const stored: StoredFile = {
      id: crypto.randomUUID(),
      bytes: new Uint8Array(await file.arrayBuffer()),
      filename: file.name,
      mime: file.type,
      created_at: Math.floor(Date.now() / 1000),
    };
    this.#files.set(stored.id, stored);
    return { status: 200, json: objectOf(stored) };
  }
}

function objectOf(file: StoredFile) {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes.byteLength,
    created_at: file.created_at,
    filename: file.filename,
    purpose: "general",
    access_policy: "private",
  };
}
