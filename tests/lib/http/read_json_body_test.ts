import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { readJsonBody } from "../../../lib/http/read_json_body.ts";

const URL_ = "http://127.0.0.1:8080/v1/chat/completions";
const encode = (text: string) => new TextEncoder().encode(text);

/** A body stream that counts how often it was read and whether it was cancelled. */
function trackedBody(pieces: readonly Uint8Array[], options: { endless?: boolean } = {}) {
  const stats = { pulls: 0, cancelled: false };
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      stats.pulls++;
      if (next < pieces.length) controller.enqueue(pieces[next++]);
      else if (options.endless) controller.enqueue(pieces[pieces.length - 1]);
      else controller.close();
    },
    cancel() {
      stats.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, stats };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: "POST", body, headers });
}

async function assertGatewayError(
  promise: Promise<unknown>,
  expected: { status: number; code: string | null; message: RegExp },
): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof GatewayError);
    assert.deepEqual(
      { status: e.status, type: e.type, code: e.code, param: e.param },
      { status: expected.status, type: "invalid_request_error", code: expected.code, param: null },
    );
    assert.match(e.message, expected.message);
    return true;
  });
}

Deno.test("readJsonBody parses JSON bodies up to the limit", async (t) => {
  const rows: { name: string; pieces: Uint8Array[]; limit: number; expected: unknown }[] = [
    {
      name: "object",
      pieces: [encode('{"model":"gpt-4o"}')],
      limit: 1000,
      expected: { model: "gpt-4o" },
    },
    { name: "exactly the limit", pieces: [encode('{"a":1}')], limit: 7, expected: { a: 1 } },
    {
      name: "several chunks",
      pieces: [encode('{"a":'), encode("[1,"), encode("2]}")],
      limit: 1000,
      expected: { a: [1, 2] },
    },
    {
      name: "Cyrillic split inside a character",
      // "Привет" = d0 9f d1 80 d0 b8 d0 b2 d0 b5 d1 82; cut after d0.
      pieces: [
        new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xd0]),
        new Uint8Array([
          0x9f,
          0xd1,
          0x80,
          0xd0,
          0xb8,
          0xd0,
          0xb2,
          0xd0,
          0xb5,
          0xd1,
          0x82,
          0x22,
          0x7d,
        ]),
      ],
      limit: 1000,
      expected: { t: "Привет" },
    },
    {
      name: "a JSON array is returned as it is",
      pieces: [encode("[1]")],
      limit: 10,
      expected: [1],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { stream } = trackedBody(row.pieces);
      assert.deepEqual(await readJsonBody(post(stream), row.limit), row.expected);
    });
  }
  await t.step("a string body with a declared Content-Length", async () => {
    const body = '{"a":"b"}';
    const request = post(body, { "content-length": String(body.length) });
    assert.deepEqual(await readJsonBody(request, 9), { a: "b" });
  });
});

Deno.test("readJsonBody refuses a declared Content-Length over the limit before reading", async () => {
  const { stream, stats } = trackedBody([encode('{"a":1}')]);
  await assertGatewayError(readJsonBody(post(stream, { "content-length": "11" }), 10), {
    status: 413,
    code: "request_too_large",
    message: /\(10 bytes; see MAX_BODY_BYTES\)/,
  });
  assert.deepEqual(stats, { pulls: 0, cancelled: true });
});

Deno.test("readJsonBody stops reading an undeclared body once it passes the limit", async (t) => {
  // A declared length is read in one go: Deno's server delivers exactly that many bytes, so
  // only undeclared (chunked) bodies need watching while they are read.
  const rows: { name: string; headers: Record<string, string> }[] = [
    { name: "no Content-Length", headers: {} },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      // Endless: the test would hang if the limit were not enforced while reading.
      const { stream, stats } = trackedBody([encode("[1,1,1,1,")], { endless: true });
      await assertGatewayError(readJsonBody(post(stream, row.headers), 20), {
        status: 413,
        code: "request_too_large",
        message: /larger than the gateway accepts/,
      });
      assert.deepEqual(stats, { pulls: 3, cancelled: true });
    });
  }
});

Deno.test("readJsonBody answers 400 for bodies that are not UTF-8 JSON", async (t) => {
  const rows: { name: string; body: BodyInit | null; message: RegExp }[] = [
    { name: "no body", body: null, message: /needs a JSON body/ },
    { name: "invalid UTF-8", body: new Uint8Array([0x7b, 0xff, 0x7d]), message: /not valid UTF-8/ },
    {
      name: "truncated UTF-8 character",
      body: new Uint8Array([0x22, 0xd0, 0x9f, 0xd0]),
      message: /not valid UTF-8/,
    },
    { name: "invalid JSON", body: '{"model":', message: /not valid JSON/ },
    { name: "empty body", body: "", message: /needs a JSON body/ },
    { name: "text", body: "model=gpt-4o", message: /not valid JSON/ },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await assertGatewayError(readJsonBody(post(row.body), 1000), {
        status: 400,
        code: null,
        message: row.message,
      });
    });
  }
});
