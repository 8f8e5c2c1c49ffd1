// Running the gateway for a team (issue #16): per-key concurrency with a queue, /metrics and
// who may read it, and /ready. The shutdown half of /ready is in tests/shutdown_test.ts.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import { createMetricsGuard } from "../lib/pipeline/metrics_guard.ts";
import { postTo, type Stack, type StackOptions, startStack } from "./helpers/stack.ts";

const OTHER_KEY = btoa("other-client:other-secret");
const SCOPES = ["GIGACHAT_API_PERS"];

async function withStack(options: StackOptions, body: (stack: Stack) => Promise<void>) {
  const stack = await startStack(options);
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

function chat(stack: Stack, key = DEMO_KEY, extra: Record<string, unknown> = {}) {
  return fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "x" }],
      ...extra,
    }),
  });
}

Deno.test("a burst of 50 for one key with UPSTREAM_CONCURRENCY=2 reaches GigaChat 2 at a time, and all complete", async () => {
  await withStack({ env: { UPSTREAM_CONCURRENCY: "2", QUEUE_MAX: "100" } }, async (stack) => {
    stack.fake.inject({ path: "/chat/completions", delayMs: 15, times: 50 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => chat(stack)));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.body?.cancel()));
    assert.deepEqual(statuses, Array(50).fill(200));
    assert.equal(stack.fake.requestsTo("/chat/completions").length, 50);
    assert.equal(stack.fake.maxActiveChats, 2);
    const metrics = await (await fetch(`${stack.origin}/metrics`)).text();
    assert.match(metrics, /^gigachat_gateway_queue_wait_seconds_count 48$/m);
    assert.match(metrics, /^gigachat_gateway_queue_length 0$/m);
    assert.match(metrics, /^gigachat_gateway_upstream_generations 0$/m);
  });
});

Deno.test("a full queue is a 429 with Retry-After in each dialect's shape; another key is not held up", async () => {
  const env = { UPSTREAM_CONCURRENCY: "1", QUEUE_MAX: "2", QUEUE_TIMEOUT_MS: "5000" };
  await withStack(
    { env, fake: { keys: { [DEMO_KEY]: SCOPES, [OTHER_KEY]: SCOPES } } },
    async (stack) => {
      // One answering slowly, two waiting: the line is full.
      stack.fake.inject({ path: "/chat/completions", delayMs: 400 });
      const busy = [chat(stack), chat(stack), chat(stack)];
      await new Promise((resolve) => setTimeout(resolve, 100));

      const openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
      await assert.rejects(
        openai.chat.completions.create({
          model: "GigaChat-2-Max",
          messages: [{ role: "user", content: "x" }],
        }),
        (error: unknown) =>
          error instanceof OpenAI.RateLimitError && error.headers.get("retry-after") === "2" &&
          /Too many concurrent requests/.test(error.message),
      );
      const anthropic = new Anthropic({ apiKey: DEMO_KEY, baseURL: stack.origin, maxRetries: 0 });
      await assert.rejects(
        anthropic.messages.create({
          model: "GigaChat-2-Max",
          max_tokens: 10,
          messages: [{ role: "user", content: "x" }],
        }),
        (error: unknown) =>
          error instanceof Anthropic.RateLimitError &&
          (error.error as { error?: { type?: string } }).error?.type === "rate_limit_error",
      );

      // Another key has its own slots: answered while the first key's line is full.
      const started = performance.now();
      const other = await chat(stack, OTHER_KEY);
      assert.equal(other.status, 200);
      await other.body?.cancel();
      assert.ok(performance.now() - started < 350, "the other key did not wait");

      const done = await Promise.all(busy);
      assert.deepEqual(done.map((r) => r.status), [200, 200, 200]);
      await Promise.all(done.map((r) => r.body?.cancel()));
      const metrics = await (await fetch(`${stack.origin}/metrics`)).text();
      assert.match(metrics, /^gigachat_gateway_queue_rejected_total\{reason="full"\} 2$/m);
    },
  );
});

Deno.test("a stream holds its slot until it ends; a client that leaves frees it at once", async () => {
  const env = { UPSTREAM_CONCURRENCY: "1", QUEUE_TIMEOUT_MS: "3000" };
  await withStack({ env }, async (stack) => {
    // The first stream stalls upstream after two events and would hold the slot for good.
    stack.fake.inject({ path: "/chat/completions", stallAfterEvents: 2 });
    const leaving = new AbortController();
    const stream = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${DEMO_KEY}` },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        stream: true,
        messages: [{ role: "user", content: "count to a hundred" }],
      }),
      signal: leaving.signal,
    });
    const reader = stream.body!.getReader();
    await reader.read();
    // While it is open, the next request waits.
    const waiting = chat(stack);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(stack.fake.requestsTo("/chat/completions").length, 1, "the second one waits");
    const started = performance.now();
    leaving.abort();
    await reader.cancel().catch(() => {});
    const second = await waiting;
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.ok(performance.now() - started < 1000, "the slot came free when the client left");
  });
});

Deno.test("/metrics counts requests, tokens, upstream attempts, OAuth and caches; labels hold no key", async () => {
  await withStack({}, async (stack) => {
    const openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    stack.fake.inject({ path: "/chat/completions", status: 503 });
    await openai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "x" }],
    });
    for await (
      const _ of await openai.chat.completions.create({
        model: "made-up-model-name",
        messages: [{ role: "user", content: "x" }],
        stream: true,
      }).catch(() => [])
    ) {
      // drained
    }
    const stream = await openai.chat.completions.create({
      model: "GigaChat-2",
      messages: [{ role: "user", content: "x" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      // drained
    }
    await openai.models.list();
    await openai.models.list();
    await postTo(stack, "/v1/nowhere", {}).then((r) => r.body?.cancel());
    const response = await fetch(`${stack.origin}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const line = (pattern: RegExp) => assert.match(text, pattern);
    line(
      /^gigachat_gateway_requests_total\{route="\/chat\/completions",dialect="chat_completions",status="200",model="GigaChat-2-Max"\} 1$/m,
    );
    line(
      /^gigachat_gateway_requests_total\{route="\/models",dialect="models",status="200",model=""\} 2$/m,
    );
    line(
      /^gigachat_gateway_requests_total\{route="unknown",dialect="gateway",status="404",model=""\} 1$/m,
    );
    // The unknown model's name is not a label of its own.
    line(/model="other"/);
    assert.ok(!text.includes("made-up-model-name"));
    line(/^gigachat_gateway_tokens_total\{model="GigaChat-2-Max",direction="in"\} 17$/m);
    line(/^gigachat_gateway_tokens_total\{model="GigaChat-2",direction="out"\} 3$/m);
    line(/^gigachat_gateway_upstream_retries_total\{source="api",cause="503"\} 1$/m);
    line(/^gigachat_gateway_oauth_exchanges_total\{outcome="ok"\} 1$/m);
    line(/^gigachat_gateway_cache_lookups_total\{cache="models",result="hit"\} 1$/m);
    line(/^gigachat_gateway_cache_lookups_total\{cache="tokens",result="hit"\} \d+$/m);
    line(/^gigachat_gateway_open_streams 0$/m);
    line(
      /^gigachat_gateway_time_to_first_byte_seconds_count\{route="\/chat\/completions",dialect="chat_completions"\} 1$/m,
    );
    assert.ok(!text.includes(DEMO_KEY) && !text.includes("fake-token-"), "no key in the metrics");
  });
});

Deno.test("/metrics: a token where one is set; in server-side mode a proxy key; otherwise loopback only", async (t) => {
  await t.step("METRICS_TOKEN over HTTP", async () => {
    await withStack({ env: { METRICS_TOKEN: "scrape-me" } }, async (stack) => {
      const none = await fetch(`${stack.origin}/metrics`);
      assert.equal(none.status, 401);
      assert.equal((await none.json()).error.code, "missing_api_key");
      const wrong = await fetch(`${stack.origin}/metrics`, {
        headers: { Authorization: "Bearer nope" },
      });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
      const right = await fetch(`${stack.origin}/metrics`, {
        headers: { Authorization: "Bearer scrape-me" },
      });
      assert.equal(right.status, 200);
      await right.body?.cancel();
      assert.ok(!stack.logs.join("\n").includes("scrape-me"), "the token never reaches the log");
    });
  });
  await t.step("server-side mode with proxy keys, over HTTP", async () => {
    const env = { GIGACHAT_CREDENTIALS: DEMO_KEY, PROXY_API_KEYS: "team-key" };
    await withStack({ env }, async (stack) => {
      assert.equal((await fetch(`${stack.origin}/metrics`).then(drain)).status, 401);
      const keyed = await fetch(`${stack.origin}/metrics`, {
        headers: { Authorization: "Bearer team-key" },
      }).then(drain);
      assert.equal(keyed.status, 200);
    });
  });
  await t.step("the rules for addresses (no traffic to them)", async () => {
    const passThrough = await createMetricsGuard({
      credentials: undefined,
      proxyApiKeys: [],
      metricsToken: undefined,
      corsOrigins: [],
    });
    const local = "http://127.0.0.1:8080/metrics";
    await passThrough(new Request(local), "127.0.0.1");
    await passThrough(new Request("http://localhost:8080/metrics"), "::1");
    for (const address of ["10.0.0.5", "192.168.1.2", "::ffff:127.0.0.1x", undefined]) {
      await assert.rejects(
        passThrough(new Request(local), address),
        (error: unknown) => (error as { status?: number }).status === 403,
        String(address),
      );
    }
    // From loopback, but a rebound host name, a web page, or relayed by a proxy on this host.
    const foreign: [string, Request][] = [
      ["DNS rebinding", new Request("http://evil.example:8080/metrics")],
      ["a web page", new Request(local, { headers: { Origin: "https://evil.example" } })],
      ["a reverse proxy", new Request(local, { headers: { "X-Forwarded-For": "203.0.113.9" } })],
      ["a Forwarded header", new Request(local, { headers: { Forwarded: "for=203.0.113.9" } })],
    ];
    for (const [name, request] of foreign) {
      await assert.rejects(
        passThrough(request, "127.0.0.1"),
        (error: unknown) => (error as { status?: number }).status === 403,
        name,
      );
    }
    const withToken = await createMetricsGuard({
      credentials: undefined,
      proxyApiKeys: [],
      metricsToken: "t",
      corsOrigins: [],
    });
    await withToken(
      new Request("http://gw/metrics", { headers: { Authorization: "Bearer t" } }),
      "10.0.0.5",
    );
  });
});

Deno.test("/ready is 200 while serving, and never calls GigaChat", async () => {
  await withStack({}, async (stack) => {
    const response = await fetch(`${stack.origin}/ready`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ready" });
    assert.equal(stack.fake.requests.length, 0);
  });
});

async function drain(response: Response): Promise<Response> {
  await response.body?.cancel();
  return response;
}
