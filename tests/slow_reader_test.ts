// A client that stops reading a long stream (issue #23, item 4): it once held its upstream
// slot for good, and the next request of the same key waited out the queue. Now the stream is
// cut after STREAM_CLIENT_TIMEOUT_MS and the slot is free again.
import assert from "node:assert/strict";
import { DEMO_KEY, postTo, startStack } from "./helpers/stack.ts";

Deno.test("a stream whose client stops reading is cut, and its queue slot serves the next request", async () => {
  const stack = await startStack({
    env: {
      UPSTREAM_CONCURRENCY: "1",
      QUEUE_TIMEOUT_MS: "8000",
      STREAM_CLIENT_TIMEOUT_MS: "300",
    },
  });
  const piece = "x".repeat(64 * 1024);
  stack.fake.scriptChat({ content: "", pieces: Array.from({ length: 400 }, () => piece) });
  const port = Number(new URL(stack.origin).port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const body = JSON.stringify({
      model: "GigaChat",
      stream: true,
      messages: [{ role: "user", content: "a long answer" }],
    });
    await conn.write(new TextEncoder().encode(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: Bearer ${DEMO_KEY}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    ));
    // The head and a first piece arrive; then this client reads no more.
    const first = new Uint8Array(4096);
    assert.ok((await conn.read(first) ?? 0) > 0);
    const started = performance.now();
    const next = await postTo(stack, "/chat/completions", {
      model: "GigaChat",
      messages: [{ role: "user", content: "hello" }],
    });
    const answer = await next.json();
    assert.equal(next.status, 200, JSON.stringify(answer));
    assert.ok(performance.now() - started < 6000, "served well before the queue timeout");
    const line = stack.logRecords().find((record) => record.stream === "client_stalled");
    assert.ok(line, "the stalled stream's log line says so");
  } finally {
    conn.close();
    await stack.close();
  }
});
