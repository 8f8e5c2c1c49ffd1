import { GatewayError, invalidRequest } from "../errors.ts";

/** What the upload's `file` part declares, known before any of its bytes are sent on. */
export interface UploadedFile {
  filename: string;
  /** The part's Content-Type, or undefined when the client sent none. */
  contentType: string | undefined;
  /**
   * The form's text fields (e.g. `purpose`): those before the file part when this is returned,
   * and those after it too once the body has been read to its end.
   */
  fields: Record<string, string>;
}

/** A re-encoded upload: GigaChat's multipart body, produced while the client's is read. */
export interface RewrittenUpload {
  file: UploadedFile;
  body: ReadableStream<Uint8Array>;
  contentType: string;
}

export interface RewriteOptions {
  /** Decides the MIME type sent upstream and the size limit, or throws a GatewayError. */
  accept(file: UploadedFile): { mime: string; maxBytes: number };
  /** Text fields of GigaChat's form, written after the file (e.g. `purpose: general`). */
  fields: Record<string, string>;
  /**
   * Judges the client's text fields, or throws a GatewayError: with `complete` false on those
   * before the file (before anything goes upstream), then true on all of them once the form has
   * ended (a throw then fails the body, so GigaChat never gets a complete form).
   */
  checkFields?(fields: Readonly<Record<string, string>>, complete: boolean): void;
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_FIELD_BYTES = 64 * 1024;
const CRLF = new Uint8Array([13, 10]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Re-encodes a multipart/form-data upload for GigaChat without holding the file in memory: the
 * client's parts are parsed as they stream in, the `file` part's bytes are passed straight
 * through under a new boundary, and GigaChat's own fields follow it. The file part's headers
 * are read (and judged by `accept`) before this returns, so a wrong type is refused before
 * anything goes upstream; a file over its limit fails the body stream with a 413.
 * @throws {GatewayError} 400 for a malformed form or one without a file, or what `accept` throws.
 */
export async function rewriteUpload(
  request: Request,
  options: RewriteOptions,
): Promise<RewrittenUpload> {
  const contentType = request.headers.get("content-type") ?? "";
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (
    request.body === null || boundary === null ||
    !/^multipart\/form-data\s*(;|$)/i.test(contentType)
  ) {
    throw invalidRequest("Upload the file as multipart/form-data with a 'file' part.", "file");
  }
  const input = new ByteScanner(request.body.getReader());
  const delimiter = encoder.encode(`--${(boundary[1] ?? boundary[2]).trim()}`);
  const fields: Record<string, string> = {};
  if (!await input.skipPast(delimiter, MAX_FIELD_BYTES)) throw malformed();
  // Parts before the file: small text fields, kept; the file part's headers end the loop. All
  // of them together are bounded, or endless little fields would fill memory.
  let before = 0;
  let file: UploadedFile | undefined;
  while (file === undefined) {
    if (before > MAX_FIELD_BYTES) {
      throw invalidRequest(
        `More than ${MAX_FIELD_BYTES / 1024} KiB of form fields come before the 'file' part.`,
        "file",
      );
    }
    if (await input.startsWith(encoder.encode("--"))) throw missingFile();
    const headers = await input.readUntil(encoder.encode("\r\n\r\n"), MAX_HEADER_BYTES);
    if (headers === undefined) throw malformed();
    const part = parsePartHeaders(decoder.decode(headers));
    if (part.filename !== undefined && part.name === "file") {
      file = { filename: part.filename, contentType: part.contentType, fields };
      break;
    }
    const value = await input.readUntil(concat(CRLF, delimiter), MAX_FIELD_BYTES);
    if (value === undefined) throw malformed();
    before += headers.byteLength + value.byteLength;
    await input.skip(CRLF);
    if (part.name !== undefined) fields[part.name] = decoder.decode(value);
  }
  const { mime, maxBytes } = options.accept(file);
  options.checkFields?.(fields, false);
  const outBoundary = `gigachat-gateway-${crypto.randomUUID()}`;
  const head = encoder.encode(
    `--${outBoundary}\r\nContent-Disposition: form-data; name="file"; filename="${
      quote(file.filename)
    }"\r\nContent-Type: ${mime}\r\n\r\n`,
  );
  const tail = encoder.encode(
    Object.entries(options.fields).map(([name, value]) =>
      `\r\n--${outBoundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}`
    ).join("") + `\r\n--${outBoundary}--\r\n`,
  );
  let sent = 0;
  let stage: "head" | "file" | "done" = "head";
  const end = concat(CRLF, delimiter);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === "head") {
        stage = "file";
        controller.enqueue(head);
        return;
      }
      if (stage === "done") return;
      const piece = await input.readChunkUntil(end);
      if (piece === undefined) {
        controller.error(malformed());
        return;
      }
      sent += piece.bytes.byteLength;
      if (sent > maxBytes) {
        controller.error(tooLarge(file!.filename, maxBytes));
        await input.cancel();
        return;
      }
      if (piece.bytes.byteLength > 0) controller.enqueue(piece.bytes);
      if (piece.found) {
        // Fields after the file part (the OpenAI SDKs put `purpose` there) are read and
        // judged before GigaChat's form is closed; they are not sent upstream.
        stage = "done";
        try {
          await readFieldsAfterFile(input, end, fields);
          options.checkFields?.(fields, true);
        } catch (error) {
          controller.error(error);
          await input.cancel();
          return;
        }
        controller.enqueue(tail);
        controller.close();
        await input.cancel();
      }
    },
    async cancel(reason) {
      await input.cancel(reason);
    },
  });
  return { file, body, contentType: `multipart/form-data; boundary=${outBoundary}` };
}

/** Reads the parts after the file up to the closing boundary, keeping the text fields. */
async function readFieldsAfterFile(
  input: ByteScanner,
  end: Uint8Array,
  fields: Record<string, string>,
): Promise<void> {
  let size = 0;
  while (!await input.startsWith(encoder.encode("--"))) {
    await input.skip(CRLF);
    const headers = await input.readUntil(encoder.encode("\r\n\r\n"), MAX_HEADER_BYTES);
    if (headers === undefined) throw malformed();
    const value = await input.readUntil(end, MAX_FIELD_BYTES);
    if (value === undefined) throw malformed();
    size += headers.byteLength + value.byteLength;
    if (size > MAX_FIELD_BYTES) {
      throw invalidRequest(
        `More than ${MAX_FIELD_BYTES / 1024} KiB of form fields come after the 'file' part.`,
        "file",
      );
    }
    const part = parsePartHeaders(decoder.decode(headers));
    if (part.name !== undefined && part.filename === undefined) {
      fields[part.name] = decoder.decode(value);
    }
  }
}

function parsePartHeaders(text: string): {
  name?: string;
  filename?: string;
  contentType?: string;
} {
  const out: { name?: string; filename?: string; contentType?: string } = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-type") out.contentType = value.split(";")[0].trim().toLowerCase();
    if (key === "content-disposition") {
      out.name = /\bname="([^"]*)"/i.exec(value)?.[1];
      // RFC 5987: charset'language'percent-encoded.
      const star = /\bfilename\*=(?:[\w-]*'[\w-]*')?([^;]+)/i.exec(value)?.[1];
      out.filename = star ? safeDecode(star.trim()) : /\bfilename="([^"]*)"/i.exec(value)?.[1];
    }
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function quote(filename: string): string {
  return filename.replace(/["\r\n\\]/g, "_");
}

function malformed(): GatewayError {
  return invalidRequest("The multipart/form-data body is malformed.", "file");
}

function missingFile(): GatewayError {
  return invalidRequest("The upload has no 'file' part with a filename.", "file");
}

function tooLarge(filename: string, limit: number): GatewayError {
  return new GatewayError(
    413,
    `${filename} is larger than GigaChat accepts for its type (${limit / 1024 / 1024} MB).`,
    { type: "invalid_request_error", code: "file_too_large", param: "file" },
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.byteLength - needle.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** A byte reader with look-ahead, for finding delimiters that straddle chunks. */
class ByteScanner {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const { value, done } = await this.#reader.read();
    if (done) {
      this.#done = true;
      return false;
    }
    this.#buffer = this.#buffer.byteLength === 0 ? value : concat(this.#buffer, value);
    return true;
  }

  /** Drops bytes up to and including `needle` and the line end after it (a boundary line). */
  async skipPast(needle: Uint8Array, limit: number): Promise<boolean> {
    const skipped = await this.readUntil(needle, limit);
    if (skipped === undefined) return false;
    await this.skip(CRLF);
    return true;
  }

  /** Drops `bytes` if they come next. */
  async skip(bytes: Uint8Array): Promise<void> {
    if (await this.startsWith(bytes)) this.#buffer = this.#buffer.subarray(bytes.byteLength);
  }

  async startsWith(prefix: Uint8Array): Promise<boolean> {
    while (this.#buffer.byteLength < prefix.byteLength) if (!await this.#fill()) return false;
    return indexOf(this.#buffer.subarray(0, prefix.byteLength), prefix) === 0;
  }

  /** The bytes before `needle`, consuming both; undefined if the input ends first. */
  async readUntil(needle: Uint8Array, limit: number): Promise<Uint8Array | undefined> {
    let from = 0;
    while (true) {
      const at = indexOf(this.#buffer, needle, from);
      if (at >= 0) {
        const before = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.subarray(at + needle.byteLength);
        return before;
      }
      if (this.#buffer.byteLength > limit) return undefined;
      from = Math.max(0, this.#buffer.byteLength - needle.byteLength + 1);
      if (!await this.#fill()) return undefined;
    }
  }

  /**
   * The next bytes before `needle`: all that is safe to hand on now (holding back a possible
   * partial match), and whether the needle was reached. Undefined when the input ends first.
   */
  async readChunkUntil(
    needle: Uint8Array,
  ): Promise<{ bytes: Uint8Array; found: boolean } | undefined> {
    while (true) {
      const at = indexOf(this.#buffer, needle);
      if (at >= 0) {
        const bytes = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.subarray(at + needle.byteLength);
        return { bytes, found: true };
      }
      const safe = this.#buffer.byteLength - (needle.byteLength - 1);
      if (safe > 0) {
        const bytes = this.#buffer.slice(0, safe);
        this.#buffer = this.#buffer.subarray(safe);
        return { bytes, found: false };
      }
      if (!await this.#fill()) return undefined;
    }
  }

  async cancel(reason?: unknown): Promise<void> {
    this.#done = true;
    await this.#reader.cancel(reason).catch(() => {});
  }
}
