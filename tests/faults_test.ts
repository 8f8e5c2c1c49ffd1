// Fault cases of issue #6 not covered elsewhere: broken upstream streams, slow OAuth, many
// abandoned streams, slow readers and hostile input. Every case: a clear OpenAI-shaped error or
// a correct answer, the gateway still serving afterwards, and no secret in the log.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { DEMO_KEY, postTo, type Stack, type StackOptions, startStack } from "./helpers/stack.ts";

async function withStack(options: StackOptions, body: (stack: Stack, ai: OpenAI) => Promise<void>) {
  const stack = await startStack(options);
  try {
    await body(stack, new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 }));
    // Still serving, and nothing secret was written.
    const after = await fetch(`${stack.origin}/health`);
    assert.equal(after.status, 200);
    await after.body?.cancel();
    assert.ok(!stack.logs.join("\n").includes(DEMO_KEY), "the key never reaches the log");
    assert.ok(!/fake-token-/.test(stack.logs.join("\n")), "no access token in the log");
  } finally {
    await stack.close();
  }
}

function post(stack: Stack, body: BodyInit) {
  return postTo(stack, "/chat/completions", body);
}

const streamBody = JSON.stringify({
  model: "GigaChat",
  stream: true,
  messages: [{ role: "user", content: "x" }],
});

Deno.test("faults: malformed SSE from upstream ends the stream with an error event", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/chat/completions", rawEvent: "{not json" });
    const text = await (await post(stack, streamBody)).text();
    assert.match(text, /"code":"upstream_stream_error"/);
    assert.ok(text.endsWith("data: [DONE]\n\n"));
  });
});

Deno.test("faults: an answer whose [DONE] never comes is still delivered whole", async () => {
  await withStack({ env: { STREAM_IDLE_TIMEOUT_MS: "5000" } }, async (stack) => {
    stack.fake.inject({ path: "/chat/completions", hang: true });
    const started = performance.now();
    const text = await (await post(stack, streamBody)).text();
    assert.ok(performance.now() - started < 2000, "no wait for the idle timeout");
    assert.ok(!text.includes('"error"'));
    assert.match(text, /"finish_reason":"stop"/);
    assert.ok(text.endsWith("data: [DONE]\n\n"));
  });
});

Deno.test("faults: an upstream stream that goes silent is cut after STREAM_IDLE_TIMEOUT_MS", async () => {
  await withStack({ env: { STREAM_IDLE_TIMEOUT_MS: "300" } }, async (stack) => {
    stack.fake.inject({ path: "/chat/completions", stallAfterEvents: 1 });
    const started = performance.now();
    const text = await (await post(stack, streamBody)).text();
    assert.ok(performance.now() - started < 5000);
    assert.match(text, /GigaChat sent nothing for 300 ms/);
    assert.ok(text.endsWith("data: [DONE]\n\n"));
    const start = performance.now();
    while (stack.fake.abandonedStreams === 0 && performance.now() - start < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stack.fake.abandonedStreams, 1, "the hanging upstream request was closed");
  });
});

Deno.test("faults: a slow OAuth server past CONNECT_TIMEOUT_MS is retried, then succeeds", async () => {
  await withStack({ env: { CONNECT_TIMEOUT_MS: "200" } }, async (stack, ai) => {
    stack.fake.inject({ path: "/oauth", delayMs: 600 });
    const list = await ai.models.list();
    assert.ok(list.data.length > 0);
    assert.equal(stack.fake.oauthCalls, 2);
  });
});

Deno.test("faults: 200 streams cancelled mid-way all close upstream, and nothing piles up", async () => {
  await withStack({ fake: { chunkDelayMs: 20 } }, async (stack, ai) => {
    const pieces = Array.from({ length: 50 }, (_, i) => `${i} `);
    for (let round = 0; round < 4; round++) {
      stack.fake.scriptChat(...Array.from({ length: 50 }, () => ({ content: "", pieces })));
      await Promise.all(Array.from({ length: 50 }, async () => {
        const response = await post(stack, streamBody);
        const reader = response.body!.getReader();
        await reader.read();
        await reader.read();
        await reader.cancel();
      }));
    }
    const started = performance.now();
    while (stack.fake.abandonedStreams < 200 && performance.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stack.fake.abandonedStreams, 200, "every upstream stream was closed");
    const closed = stack.logRecords().filter((line) => line.stream === "client_closed");
    assert.equal(closed.length, 200, "each logged as closed by the client");
    const answer = await ai.chat.completions.create({
      model: "GigaChat",
      messages: [{ role: "user", content: "still there?" }],
    });
    assert.equal(answer.choices[0].finish_reason, "stop");
  });
});

Deno.test("faults: a slow reader still gets the whole stream intact", async () => {
  await withStack({}, async (stack) => {
    const pieces = Array.from({ length: 40 }, (_, i) => `${i} `);
    stack.fake.scriptChat({ content: "", pieces });
    const reader = (await post(stack, streamBody)).body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (true) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const content = text.split("\n").filter((line) => line.startsWith("data: {")).map((line) =>
      JSON.parse(line.slice(6)).choices[0]?.delta.content ?? ""
    ).join("");
    assert.equal(content, pieces.join(""));
  });
});

Deno.test("faults: hostile input gets clear 4xx answers", async (t) => {
  await withStack({ env: { MAX_BODY_BYTES: "100000" } }, async (stack) => {
    await t.step("invalid UTF-8", async () => {
      const response = await post(stack, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
      assert.equal(response.status, 400);
      assert.match((await response.json()).error.message, /UTF-8/);
    });
    await t.step("deep nesting", async () => {
      const deep = "[".repeat(40_000) + "]".repeat(40_000);
      const response = await post(stack, `{"model":"GigaChat","messages":${deep}}`);
      assert.equal(response.status, 400);
      assert.equal((await response.json()).error.type, "invalid_request_error");
    });
    await t.step("a huge body is refused from its Content-Length, before it is read", async () => {
      const response = await post(stack, "x".repeat(200_000));
      assert.equal(response.status, 413);
      await response.body?.cancel();
    });
    await t.step("wrong types", async () => {
      const response = await post(stack, JSON.stringify({ model: 5, messages: "hi" }));
      assert.equal(response.status, 400);
      assert.equal((await response.json()).error.param, "model");
    });
    await t.step("oversized headers", async () => {
      const response = await fetch(`${stack.origin}/health`, {
        headers: { "X-Big": "a".repeat(256 * 1024) },
      }).catch(() => undefined);
      // Deno's server refuses such a request outright (431 or a closed connection).
      if (response !== undefined) {
        assert.ok(response.status >= 400 && response.status < 500, String(response.status));
        await response.body?.cancel();
      }
    });
    await t.step("an unknown model", async () => {
      const response = await post(
        stack,
        JSON.stringify({ model: "GPT-5", messages: [{ role: "user", content: "x" }] }),
      );
      assert.equal(response.status, 404);
      assert.equal((await response.json()).error.code, "model_not_found");
    });
  });
});
