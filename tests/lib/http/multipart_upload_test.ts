import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import {
  type RewriteOptions,
  rewriteUpload,
  type UploadedFile,
} from "../../../lib/http/multipart_upload.ts";

const URL_ = "http://127.0.0.1:8080/v1/files";
const B = "----gw-test-7MA4YWxkTrZu0gW";
const MULTIPART = `multipart/form-data; boundary=${B}`;
const encoder = new TextEncoder();

function join(...parts: (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const chunks = parts.map((part) => typeof part === "string" ? encoder.encode(part) : part);
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Binary file content full of near-delimiters: "\r\n--" not followed by the boundary, the
 * boundary with its last character changed, the boundary after "\r\n " instead of CRLF, a
 * lone CR just before the real delimiter, and bytes that are not UTF-8.
 */
const FILE_BYTES = join(
  new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe]),
  "\r\n--",
  `\r\n--${B.slice(0, -1)}X`,
  `\r\n--${B.slice(0, 10)}`,
  "\r\n\r\n",
  new Uint8Array([0x0d, 0x0a, 0x2d, 0x2d, 0x0d, 0x0d, 0x0a, 0x20]),
  `--${B}`,
  new Uint8Array([0xc3, 0x28, 0x00, 0x0d]),
);

/** purpose before the file, a field after it, a preamble, CRLF after the closing delimiter. */
function handBody(file: Uint8Array, disposition = 'name="file"; filename="scan.png"'): Uint8Array {
  return join(
    "a preamble that is ignored\r\n",
    `--${B}\r\n`,
    'Content-Disposition: form-data; name="purpose"\r\n\r\n',
    "assistants\r\n",
    `--${B}\r\n`,
    `Content-Disposition: form-data; ${disposition}\r\n`,
    "Content-Type: image/png\r\n\r\n",
    file,
    `\r\n--${B}\r\n`,
    'Content-Disposition: form-data; name="after"\r\n\r\n',
    "dropped\r\n",
    `--${B}--\r\n`,
  );
}

function find(haystack: Uint8Array, needle: string, from = 0): number {
  const bytes = encoder.encode(needle);
  outer: for (let i = from; i <= haystack.byteLength - bytes.byteLength; i++) {
    for (let j = 0; j < bytes.byteLength; j++) if (haystack[i + j] !== bytes[j]) continue outer;
    return i;
  }
  throw new Error(`test setup: ${JSON.stringify(needle)} is not in the body`);
}

/** The offset just past `needle` (ASCII) in `haystack`. */
function after(haystack: Uint8Array, needle: string): number {
  return find(haystack, needle) + needle.length;
}

function every(size: number, length: number): number[] {
  return Array.from({ length: Math.ceil(length / size) }, (_, i) => i * size);
}

/** A pull-only body stream cut at the given offsets, counting reads and noticing a cancel. */
function tracked(bytes: Uint8Array, cuts: readonly number[]) {
  const edges = [...new Set([0, ...cuts, bytes.byteLength])].sort((a, b) => a - b);
  const pieces = edges.slice(1).map((end, i) => bytes.slice(edges[i], end));
  return trackedPieces(pieces);
}

function trackedPieces(pieces: Iterable<Uint8Array>) {
  const stats = { pulls: 0, cancelled: false };
  const source = pieces[Symbol.iterator]();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      stats.pulls++;
      const next = source.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      stats.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, stats };
}

function post(body: ReadableStream<Uint8Array> | null, contentType: string | null): Request {
  const headers = new Headers();
  if (contentType !== null) headers.set("content-type", contentType);
  return new Request(URL_, { method: "POST", body, headers });
}

/** An `accept` that records what it was shown and answers with a type of its own. */
function recordingAccept(mime = "image/x-gateway-test", maxBytes = 1024 * 1024) {
  const seen: UploadedFile[] = [];
  const accept: RewriteOptions["accept"] = (file) => {
    seen.push(structuredClone(file));
    return { mime, maxBytes };
  };
  return { seen, accept };
}

async function parseBack(body: ReadableStream<Uint8Array>, contentType: string) {
  const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  const file = form.get("file");
  assert.ok(file instanceof File);
  return {
    names: [...form.keys()],
    filename: file.name,
    type: file.type,
    bytes: new Uint8Array(await file.arrayBuffer()),
    purpose: form.get("purpose"),
  };
}

/** Reads a stream to its end or error, keeping what came before an error. */
async function drain(body: ReadableStream<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return { chunks, error: undefined };
      chunks.push(value);
    }
  } catch (error) {
    return { chunks, error };
  }
}

function assertGatewayError(
  error: unknown,
  expected: { status: number; code: string | null; param: string | null; message: RegExp },
): void {
  assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
  assert.deepEqual(
    { status: error.status, type: error.type, code: error.code, param: error.param },
    {
      status: expected.status,
      type: "invalid_request_error",
      code: expected.code,
      param: expected.param,
    },
  );
  assert.match(error.message, expected.message);
}

const OUT_TYPE = /^multipart\/form-data; boundary=gigachat-gateway-[0-9a-f-]{36}$/;

Deno.test("rewriteUpload passes the file through whole however the body is split", async (t) => {
  const body = handBody(FILE_BYTES);
  const fileStart = after(body, "Content-Type: image/png\r\n\r\n");
  const fileEnd = find(body, `\r\n--${B}\r\nContent-Disposition: form-data; name="after"`);
  const nearMiss = find(body, `\r\n--${B.slice(0, -1)}X`);
  const rows: { name: string; cuts: number[] }[] = [
    { name: "one chunk", cuts: [] },
    { name: "every byte", cuts: every(1, body.byteLength) },
    { name: "every 7 bytes", cuts: every(7, body.byteLength) },
    { name: "right after the first '--'", cuts: [find(body, `--${B}`) + 2] },
    { name: "inside the first boundary", cuts: [find(body, `--${B}`) + 11] },
    {
      name: "inside the file part's \\r\\n\\r\\n",
      cuts: [fileStart - 3, fileStart - 2, fileStart - 1],
    },
    { name: "right before the file bytes", cuts: [fileStart] },
    { name: "inside the near-boundary in the file", cuts: [nearMiss + 3, nearMiss + 20] },
    { name: "between CR and LF before the closing boundary", cuts: [fileEnd + 1] },
    { name: "right after '--' of the delimiter after the file", cuts: [fileEnd + 4] },
    { name: "inside the boundary after the file", cuts: [fileEnd + 9, fileEnd + 17] },
    { name: "one byte before the delimiter is complete", cuts: [fileEnd + 4 + B.length - 1] },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { seen, accept } = recordingAccept();
      const { stream } = tracked(body, row.cuts);
      const out = await rewriteUpload(post(stream, MULTIPART), {
        accept,
        fields: { purpose: "general" },
      });
      const expectedFile = {
        filename: "scan.png",
        contentType: "image/png",
        fields: { purpose: "assistants" },
      };
      assert.deepEqual(out.file, expectedFile);
      assert.deepEqual(seen, [expectedFile]);
      assert.match(out.contentType, OUT_TYPE);
      const parsed = await parseBack(out.body, out.contentType);
      assert.deepEqual(parsed, {
        names: ["file", "purpose"],
        filename: "scan.png",
        type: "image/x-gateway-test",
        bytes: FILE_BYTES,
        purpose: "general",
      });
    });
  }
});

Deno.test("rewriteUpload reads bodies that FormData serialised", async (t) => {
  const form = new FormData();
  form.append("purpose", "assistants");
  form.append("note", "Привет, мир");
  form.append("file", new File([FILE_BYTES], "photo.jpg", { type: "image/jpeg" }));
  form.append("after", "dropped");
  const request = new Request(URL_, { method: "POST", body: form });
  const contentType = request.headers.get("content-type") ?? "";
  const body = new Uint8Array(await request.arrayBuffer());
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1] ?? "";
  const headerEnd = after(body, 'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n');
  const fileEnd = find(body, `\r\n--${boundary}`, headerEnd);
  const rows: { name: string; cuts: number[] }[] = [
    { name: "one chunk", cuts: [] },
    { name: "every byte", cuts: every(1, body.byteLength) },
    { name: "every 7 bytes", cuts: every(7, body.byteLength) },
    { name: "right after the first '--'", cuts: [2] },
    { name: "inside the first boundary", cuts: [boundary.length - 3] },
    { name: "inside the file part's \\r\\n\\r\\n", cuts: [headerEnd - 3, headerEnd - 2] },
    { name: "right before the file bytes", cuts: [headerEnd] },
    { name: "between CR and LF after the file", cuts: [fileEnd + 1] },
    { name: "right after '--' of the delimiter after the file", cuts: [fileEnd + 4] },
    { name: "inside the boundary after the file", cuts: [fileEnd + 10, fileEnd + 20] },
    { name: "inside the last delimiter", cuts: [body.byteLength - 5] },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { seen, accept } = recordingAccept("image/jpeg");
      const { stream } = tracked(body, row.cuts);
      const out = await rewriteUpload(post(stream, contentType), {
        accept,
        fields: { purpose: "general" },
      });
      assert.deepEqual(seen, [{
        filename: "photo.jpg",
        contentType: "image/jpeg",
        fields: { purpose: "assistants", note: "Привет, мир" },
      }]);
      assert.deepEqual(await parseBack(out.body, out.contentType), {
        names: ["file", "purpose"],
        filename: "photo.jpg",
        type: "image/jpeg",
        bytes: FILE_BYTES,
        purpose: "general",
      });
    });
  }
  await t.step("a file with no fields before it", async () => {
    const only = new FormData();
    only.append("file", new File([FILE_BYTES], "a.pdf", { type: "application/pdf" }));
    const request = new Request(URL_, { method: "POST", body: only });
    const { seen, accept } = recordingAccept("application/pdf");
    const out = await rewriteUpload(request, { accept, fields: { purpose: "general" } });
    assert.deepEqual(seen, [{ filename: "a.pdf", contentType: "application/pdf", fields: {} }]);
    assert.deepEqual((await parseBack(out.body, out.contentType)).bytes, FILE_BYTES);
  });
});

Deno.test("rewriteUpload writes every given field after the file", async () => {
  const { accept } = recordingAccept();
  const { stream } = tracked(handBody(new Uint8Array([1, 2, 3])), []);
  const out = await rewriteUpload(post(stream, MULTIPART), {
    accept,
    fields: { purpose: "general", extra: "Да" },
  });
  const form = await new Response(out.body, { headers: { "content-type": out.contentType } })
    .formData();
  assert.deepEqual([...form.keys()], ["file", "purpose", "extra"]);
  assert.equal(form.get("purpose"), "general");
  assert.equal(form.get("extra"), "Да");
});

Deno.test("rewriteUpload reads the file part's name and type", async (t) => {
  const rows: {
    name: string;
    disposition: string;
    contentType?: string;
    seen: { filename: string; contentType: string | undefined };
    sent: string;
  }[] = [
    {
      name: "plain filename",
      disposition: 'name="file"; filename="report.pdf"',
      seen: { filename: "report.pdf", contentType: "image/png" },
      sent: "report.pdf",
    },
    {
      name: "filename before name",
      disposition: 'filename="report.pdf"; name="file"',
      seen: { filename: "report.pdf", contentType: "image/png" },
      sent: "report.pdf",
    },
    {
      name: "filename* (RFC 5987) decoded",
      disposition: "name=\"file\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf",
      seen: { filename: "отчёт.pdf", contentType: "image/png" },
      sent: "отчёт.pdf",
    },
    {
      name: "filename* wins over filename",
      disposition:
        'name="file"; filename="otchet.pdf"; filename*=utf-8\'\'%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf',
      seen: { filename: "отчёт.pdf", contentType: "image/png" },
      sent: "отчёт.pdf",
    },
    {
      name: "filename* with broken percent-encoding kept as it is",
      disposition: "name=\"file\"; filename*=UTF-8''%E0%A4%A.pdf",
      seen: { filename: "%E0%A4%A.pdf", contentType: "image/png" },
      sent: "%E0%A4%A.pdf",
    },
    {
      name: "quote, CR and LF neutralised",
      disposition: "name=\"file\"; filename*=UTF-8''a%22b%0D%0Ac.txt",
      seen: { filename: 'a"b\r\nc.txt', contentType: "image/png" },
      sent: "a_b__c.txt",
    },
    {
      name: "backslash neutralised",
      disposition: "name=\"file\"; filename*=UTF-8''dir%5Cc.txt",
      seen: { filename: "dir\\c.txt", contentType: "image/png" },
      sent: "dir_c.txt",
    },
    {
      name: "content type lower-cased, parameters dropped",
      disposition: 'name="file"; filename="notes.txt"',
      contentType: "Text/Plain; charset=UTF-8",
      seen: { filename: "notes.txt", contentType: "text/plain" },
      sent: "notes.txt",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      let body = handBody(FILE_BYTES, row.disposition);
      if (row.contentType !== undefined) {
        const text = new TextDecoder("latin1").decode(body);
        const at = text.indexOf("Content-Type: image/png");
        body = join(body.slice(0, at), `Content-Type: ${row.contentType}`, body.slice(at + 23));
      }
      const { seen, accept } = recordingAccept();
      const { stream } = tracked(body, every(5, body.byteLength));
      const out = await rewriteUpload(post(stream, MULTIPART), {
        accept,
        fields: { purpose: "general" },
      });
      assert.deepEqual(seen, [{ ...row.seen, fields: { purpose: "assistants" } }]);
      const { chunks } = await drain(out.body);
      const head = new TextDecoder().decode(chunks[0]);
      assert.equal(
        head.split("\r\n")[1],
        `Content-Disposition: form-data; name="file"; filename="${row.sent}"`,
      );
      const parsed = await parseBack(
        new Blob(chunks.map((chunk) => chunk.slice())).stream(),
        out.contentType,
      );
      assert.equal(parsed.filename, row.sent);
      assert.deepEqual(parsed.bytes, FILE_BYTES);
    });
  }
});

Deno.test("rewriteUpload keeps a file part without a Content-Type", async () => {
  const body = join(
    `--${B}\r\n`,
    'Content-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n',
    "abc",
    `\r\n--${B}--\r\n`,
  );
  const { seen, accept } = recordingAccept("application/pdf");
  const out = await rewriteUpload(post(tracked(body, []).stream, MULTIPART), {
    accept,
    fields: {},
  });
  assert.deepEqual(seen, [{ filename: "a.bin", contentType: undefined, fields: {} }]);
  const form = await new Response(out.body, { headers: { "content-type": out.contentType } })
    .formData();
  assert.deepEqual([...form.keys()], ["file"]);
});

Deno.test("rewriteUpload refuses requests that are not a multipart upload with a file", async (t) => {
  const part = (disposition: string, value: string) =>
    `--${B}\r\nContent-Disposition: form-data; ${disposition}\r\n\r\n${value}\r\n`;
  const rows: {
    name: string;
    contentType: string | null;
    body: string | null;
    message: RegExp;
  }[] = [
    {
      name: "only fields",
      contentType: MULTIPART,
      body: part('name="purpose"', "assistants") + `--${B}--\r\n`,
      message: /no 'file' part/,
    },
    {
      name: "an empty form",
      contentType: MULTIPART,
      body: `--${B}--\r\n`,
      message: /no 'file' part/,
    },
    {
      name: "a 'file' field without a filename",
      contentType: MULTIPART,
      body: part('name="file"', "file-abc") + `--${B}--\r\n`,
      message: /no 'file' part/,
    },
    {
      name: "a file under another name",
      contentType: MULTIPART,
      body: part('name="upload"; filename="a.png"', "png") + `--${B}--\r\n`,
      message: /no 'file' part/,
    },
    {
      name: "a body without the boundary",
      contentType: MULTIPART,
      body: "just text",
      message: /malformed/,
    },
    {
      name: "a field without its end",
      contentType: MULTIPART,
      body: `--${B}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassis`,
      message: /malformed/,
    },
    {
      name: "part headers without their end",
      contentType: MULTIPART,
      body: `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n`,
      message: /malformed/,
    },
    {
      name: "a JSON body",
      contentType: "application/json",
      body: '{"file":"a.png"}',
      message: /multipart\/form-data/,
    },
    {
      name: "multipart without a boundary parameter",
      contentType: "multipart/form-data",
      body: part('name="file"; filename="a.png"', "png") + `--${B}--\r\n`,
      message: /multipart\/form-data/,
    },
    {
      name: "no content type",
      contentType: null,
      body: part('name="file"; filename="a.png"', "png") + `--${B}--\r\n`,
      message: /multipart\/form-data/,
    },
    { name: "no body", contentType: MULTIPART, body: null, message: /multipart\/form-data/ },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const stream = row.body === null
        ? null
        : tracked(encoder.encode(row.body), every(3, row.body.length)).stream;
      let accepted = false;
      await assert.rejects(
        rewriteUpload(post(stream, row.contentType), {
          accept() {
            accepted = true;
            return { mime: "image/png", maxBytes: 100 };
          },
          fields: { purpose: "general" },
        }),
        (error) => {
          assertGatewayError(error, {
            status: 400,
            code: null,
            param: "file",
            message: row.message,
          });
          return true;
        },
      );
      assert.equal(accepted, false);
    });
  }
});

Deno.test("rewriteUpload fails the body stream when the file part does not end", async (t) => {
  const head = `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`;
  const rows: { name: string; body: Uint8Array }[] = [
    { name: "no delimiter after the file", body: join(head, FILE_BYTES) },
    { name: "the delimiter cut short", body: join(head, FILE_BYTES, `\r\n--${B.slice(0, -2)}`) },
    { name: "no file bytes at all", body: encoder.encode(head) },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { accept } = recordingAccept();
      const { stream } = tracked(row.body, every(7, row.body.byteLength));
      const out = await rewriteUpload(post(stream, MULTIPART), { accept, fields: {} });
      const { error } = await drain(out.body);
      assertGatewayError(error, { status: 400, code: null, param: "file", message: /malformed/ });
    });
  }
});

Deno.test("rewriteUpload enforces maxBytes on the file while streaming", async (t) => {
  const size = FILE_BYTES.byteLength;
  const rows: { name: string; maxBytes: number; cut: number; fails: boolean }[] = [
    { name: "exactly the limit, one chunk", maxBytes: size, cut: 100_000, fails: false },
    { name: "exactly the limit, every byte", maxBytes: size, cut: 1, fails: false },
    { name: "one byte over, one chunk", maxBytes: size - 1, cut: 100_000, fails: true },
    { name: "one byte over, every byte", maxBytes: size - 1, cut: 1, fails: true },
    { name: "far over, every 7 bytes", maxBytes: 10, cut: 7, fails: true },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const body = handBody(FILE_BYTES);
      const { accept } = recordingAccept("image/png", row.maxBytes);
      const { stream, stats } = tracked(body, every(row.cut, body.byteLength));
      const out = await rewriteUpload(post(stream, MULTIPART), { accept, fields: {} });
      const { chunks, error } = await drain(out.body);
      if (!row.fails) {
        assert.equal(error, undefined);
        return;
      }
      assertGatewayError(error, {
        status: 413,
        code: "file_too_large",
        param: "file",
        message: /^scan\.png is larger than GigaChat accepts/,
      });
      // Nothing past the limit went out, and the client's body was let go.
      const fileBytesSent = chunks.slice(1).reduce((sum, chunk) => sum + chunk.byteLength, 0);
      assert.ok(fileBytesSent <= row.maxBytes, `${fileBytesSent} file bytes sent`);
      assert.equal(stats.cancelled, true);
    });
  }
});

Deno.test("rewriteUpload lets an error from accept through before any output", async () => {
  const refusal = new GatewayError(415, "GigaChat does not accept scan.gif", {
    type: "invalid_request_error",
    code: "unsupported_file_type",
    param: "file",
  });
  const head = join(
    `--${B}\r\nContent-Disposition: form-data; name="file"; filename="scan.gif"\r\n`,
    "Content-Type: image/gif\r\n\r\n",
  );
  const chunk = new Uint8Array(64 * 1024).fill(0x47);
  const { stream, stats } = trackedPieces([head, chunk, chunk, chunk, chunk]);
  await assert.rejects(
    rewriteUpload(post(stream, MULTIPART), {
      accept() {
        throw refusal;
      },
      fields: { purpose: "general" },
    }),
    (error) => error === refusal,
  );
  // The headers and at most one look-ahead read; the file itself is left unread.
  assert.ok(stats.pulls <= 2, `${stats.pulls} reads`);
});

Deno.test("rewriteUpload streams a 20 MB file instead of holding it", async () => {
  const CHUNK = 64 * 1024;
  const COUNT = 320; // 20 MB
  const head = join(
    `--${B}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n`,
    `--${B}\r\nContent-Disposition: form-data; name="file"; filename="talk.mp3"\r\n`,
    "Content-Type: audio/mpeg\r\n\r\n",
  );
  function* pieces(): Generator<Uint8Array> {
    yield head;
    for (let i = 0; i < COUNT; i++) yield new Uint8Array(CHUNK).fill(i % 251);
    yield encoder.encode(`\r\n--${B}--\r\n`);
  }
  const { stream, stats } = trackedPieces(pieces());
  const out = await rewriteUpload(post(stream, MULTIPART), {
    accept: () => ({ mime: "audio/mp3", maxBytes: 35 * 1024 * 1024 }),
    fields: { purpose: "general" },
  });
  const reader = out.body.getReader();
  const sizes: number[] = [];
  let position = 0;
  let wrong = 0;
  let pullsAfterThreeChunks = -1;
  let first = true;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    sizes.push(value.byteLength);
    if (sizes.length === 3) pullsAfterThreeChunks = stats.pulls;
    if (first) {
      first = false; // the new part's headers
      continue;
    }
    for (const byte of value) {
      if (position < COUNT * CHUNK && byte !== Math.floor(position / CHUNK) % 251) wrong++;
      position++;
    }
  }
  assert.equal(wrong, 0);
  assert.ok(sizes.length > 300, `${sizes.length} chunks`);
  assert.ok(Math.max(...sizes) <= 128 * 1024, `largest chunk ${Math.max(...sizes)} bytes`);
  assert.ok(pullsAfterThreeChunks <= 4, `${pullsAfterThreeChunks} reads for 3 chunks out`);
  assert.equal(stats.pulls >= COUNT + 1, true);
});

// Bug: lib/http/multipart_upload.ts:227 — readUntil drops a CRLF after every needle it finds,
// so after the part headers' "\r\n\r\n" it eats the file's first two bytes when they are CRLF
// (a text file starting with an empty line, any binary starting 0d 0a).
Deno.test({
  name: "rewriteUpload keeps a CRLF at the start of the file",
  fn: async () => {
    const file = join("\r\nline two\r\n", FILE_BYTES);
    const { accept } = recordingAccept();
    const { stream } = tracked(handBody(file), []);
    const out = await rewriteUpload(post(stream, MULTIPART), { accept, fields: {} });
    assert.deepEqual((await parseBack(out.body, out.contentType)).bytes, file);
  },
});

// Bug: lib/http/multipart_upload.ts:133 — the filename* pattern strips only "UTF-8''", so an
// RFC 5987 value with a language tag keeps "UTF-8'en'" in the name.
Deno.test({
  name: "rewriteUpload decodes filename* with a language tag",
  fn: async () => {
    const { seen, accept } = recordingAccept();
    const body = handBody(FILE_BYTES, "name=\"file\"; filename*=UTF-8'en'na%C3%AFve.txt");
    await rewriteUpload(post(tracked(body, []).stream, MULTIPART), { accept, fields: {} });
    assert.equal(seen[0].filename, "naïve.txt");
  },
});

// Bug: lib/http/multipart_upload.ts:44 — any content type with a boundary parameter is read as
// multipart; the media type itself is never checked.
Deno.test({
  name: "rewriteUpload refuses a non-multipart content type that has a boundary",
  fn: async () => {
    const { stream } = tracked(handBody(FILE_BYTES), []);
    await assert.rejects(
      rewriteUpload(post(stream, `text/plain; boundary=${B}`), {
        accept: () => ({ mime: "image/png", maxBytes: 1000 }),
        fields: {},
      }),
      (error) => {
        assertGatewayError(error, {
          status: 400,
          code: null,
          param: "file",
          message: /multipart\/form-data/,
        });
        return true;
      },
    );
  },
});

Deno.test("rewriteUpload refuses endless form fields before the file part", async () => {
  const field = (i: number) =>
    `--${B}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${"x".repeat(1024)}\r\n`;
  const { stream, stats } = trackedPieces(
    (function* () {
      for (let i = 0; i < 10_000; i++) yield encoder.encode(field(i));
    })(),
  );
  const { accept } = recordingAccept();
  await assert.rejects(
    rewriteUpload(post(stream, MULTIPART), { accept, fields: {} }),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 400);
      assert.match(error.message, /form fields come before the 'file' part/);
      return true;
    },
  );
  assert.ok(stats.pulls < 100, `stopped early (${stats.pulls} pieces read)`);
});
