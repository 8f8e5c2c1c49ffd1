import assert from "node:assert/strict";
import {
  SSE_DONE,
  SSE_HEADERS,
  SSE_KEEPALIVE,
  sseData,
  SseDataReader,
} from "../../../lib/http/sse.ts";

const decode = (bytes: Uint8Array) => new TextDecoder("utf-8", { fatal: true }).decode(bytes);

Deno.test("sseData frames one value as a data line and a blank line", async (t) => {
  const rows: { name: string; value: unknown; expected: string }[] = [
    { name: "object", value: { a: 1 }, expected: 'data: {"a":1}\n\n' },
    { name: "string", value: "x", expected: 'data: "x"\n\n' },
    {
      name: "newline in a value stays escaped on one line",
      value: { t: "a\nb" },
      expected: 'data: {"t":"a\\nb"}\n\n',
    },
    { name: "Cyrillic as raw UTF-8", value: { c: "Привет" }, expected: 'data: {"c":"Привет"}\n\n' },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(decode(sseData(row.value)), row.expected));
  }
  await t.step("Cyrillic bytes are not \\u escapes", () => {
    // 'data: {"c":"' (12) + Привет (12 bytes) + '"}' (2) + "\n\n" (2)
    assert.equal(sseData({ c: "Привет" }).length, 28);
  });
});

Deno.test("SSE constants are the exact bytes OpenAI clients expect", async (t) => {
  await t.step("SSE_DONE", () => {
    assert.deepEqual(
      [...SSE_DONE],
      [0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0x5b, 0x44, 0x4f, 0x4e, 0x45, 0x5d, 0x0a, 0x0a],
    );
  });
  await t.step(
    "SSE_KEEPALIVE is a comment",
    () => assert.equal(decode(SSE_KEEPALIVE), ": keep-alive\n\n"),
  );
  await t.step("SSE_HEADERS", () => {
    assert.equal(SSE_HEADERS["Content-Type"], "text/event-stream; charset=utf-8");
    assert.equal(SSE_HEADERS["Cache-Control"], "no-cache");
    assert.equal(SSE_HEADERS["X-Accel-Buffering"], "no");
  });
});

async function dataOf(pieces: readonly (string | Uint8Array)[]): Promise<string[]> {
  const encoder = new TextEncoder();
  const body = ReadableStream.from(
    pieces.map((piece) => typeof piece === "string" ? encoder.encode(piece) : piece),
  );
  const reader = new SseDataReader(body);
  const out: string[] = [];
  for (let data = await reader.next(); data !== undefined; data = await reader.next()) {
    out.push(data);
  }
  return out;
}

Deno.test("SseDataReader yields each event's data whatever the chunking", async (t) => {
  const rows: { name: string; pieces: (string | Uint8Array)[]; expected: string[] }[] = [
    { name: "two events", pieces: ["data: a\n\ndata: b\n\n"], expected: ["a", "b"] },
    { name: "split mid-line", pieces: ["da", "ta: a", "bc\n\n"], expected: ["abc"] },
    { name: "split mid \\n\\n", pieces: ["data: a\n", "\ndata: b\n", "\n"], expected: ["a", "b"] },
    {
      name: "CRLF split mid \\r\\n",
      pieces: ["data: a\r", "\n\r", "\ndata: b\r\n\r\n"],
      expected: ["a", "b"],
    },
    {
      name: "split inside a Cyrillic character",
      // "data: П\n\n" with П = d0 9f cut between its bytes.
      pieces: [
        new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xd0]),
        new Uint8Array([0x9f, 0x0a, 0x0a]),
      ],
      expected: ["П"],
    },
    { name: "comment lines ignored", pieces: [": keep-alive\n\ndata: x\n\n"], expected: ["x"] },
    {
      name: "event and id fields ignored",
      pieces: ["event: message\nid: 1\ndata: z\n\n"],
      expected: ["z"],
    },
    {
      name: "multi-line data joined with \\n",
      pieces: ["data: a\ndata: b\n\n"],
      expected: ["a\nb"],
    },
    {
      name: "[DONE] passed on as text (API-chat.md §5)",
      pieces: ['data: {"x":1}\n\ndata: [DONE]\n\n'],
      expected: ['{"x":1}', "[DONE]"],
    },
    {
      name: "an event cut off before its blank line is dropped",
      pieces: ["data: a\n\ndata: b"],
      expected: ["a"],
    },
    { name: "empty body", pieces: [], expected: [] },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => assert.deepEqual(await dataOf(row.pieces), row.expected));
  }
  await t.step("sseData output reads back", async () => {
    const values = [{ c: "Привет", n: 1 }, ["a\nb"], "x"];
    const data = await dataOf([...values.map(sseData), SSE_DONE]);
    assert.deepEqual(data, ['{"c":"Привет","n":1}', '["a\\nb"]', '"x"', "[DONE]"]);
  });
});
