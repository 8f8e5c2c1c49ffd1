import assert from "node:assert/strict";
import OpenAI from "openai";
import {
  DEMO_KEY,
  type Stack,
  type StackOptions,
  startStack,
  TEST_BACKEND,
} from "./helpers/stack.ts";

async function withStack(options: StackOptions, body: (stack: Stack) => Promise<void>) {
  const stack = await startStack(options);
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

const auth = { Authorization: `Bearer ${DEMO_KEY}` };

Deno.test("GET / names the gateway and lists its endpoints; /health answers without upstream", async () => {
  await withStack({}, async (stack) => {
    const index = await (await fetch(`${stack.origin}/`)).json();
    assert.equal(index.name, "gigachat-gateway");
    assert.match(index.version, /^\d+\.\d+\.\d+/);
    assert.ok(index.endpoints.includes("GET /v1/models"));
    assert.ok(index.endpoints.includes("GET /health"));
    assert.deepEqual(index.gigachat_api, {
      chat: { default: TEST_BACKEND, by_model: {}, v2_tools: [] },
      embeddings: "v1",
      files: "v1",
      models: "v1",
      tokens_count: "v1",
    });

    const health = await fetch(`${stack.origin}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
    assert.equal(stack.fake.requests.length, 0);
  });
});

Deno.test("every route answers with and without /v1, trailing slash or not", async (t) => {
  await withStack({}, async (stack) => {
    for (
      const path of ["/models", "/v1/models", "/models/", "/v1/models/GigaChat", "/models/GigaChat"]
    ) {
      await t.step(path, async () => {
        const response = await fetch(`${stack.origin}${path}`, { headers: auth });
        assert.equal(response.status, 200);
        assert.match(response.headers.get("content-type") ?? "", /application\/json/);
        await response.body?.cancel();
      });
    }
  });
});

Deno.test("unknown paths get an OpenAI-shaped JSON 404, wrong methods a 405 with Allow", async () => {
  await withStack({}, async (stack) => {
    const missing = await fetch(`${stack.origin}/v1/nothing-here`, { headers: auth });
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get("content-type") ?? "", /application\/json/);
    const body = await missing.json();
    assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
    assert.equal(body.error.type, "invalid_request_error");
    assert.equal(body.error.code, "unknown_url");

    const wrong = await fetch(`${stack.origin}/v1/models`, { method: "DELETE", headers: auth });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, OPTIONS");
    assert.equal((await wrong.json()).error.code, "method_not_allowed");

    const openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.origin, maxRetries: 0 });
    await assert.rejects(openai.images.generate({ model: "x", prompt: "x" }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      return true;
    });
  });
});

Deno.test("CORS: preflight answered; origins allowed only when CORS_ORIGINS lists them", async () => {
  const preflight = (origin: string) => ({
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization, content-type",
    },
  });
  await withStack({}, async (stack) => {
    const response = await fetch(`${stack.baseURL}/chat/completions`, preflight("https://x.test"));
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
  });
  await withStack({ env: { CORS_ORIGINS: "https://app.test" } }, async (stack) => {
    const allowed = await fetch(`${stack.baseURL}/models`, preflight("https://app.test"));
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.test");
    assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.equal(
      allowed.headers.get("access-control-allow-headers"),
      "authorization, content-type",
    );

    const other = await fetch(`${stack.baseURL}/models`, preflight("https://evil.test"));
    assert.equal(other.headers.get("access-control-allow-origin"), null);

    const actual = await fetch(`${stack.baseURL}/models`, {
      headers: { ...auth, Origin: "https://app.test" },
    });
    assert.equal(actual.headers.get("access-control-allow-origin"), "https://app.test");
    assert.match(actual.headers.get("access-control-expose-headers") ?? "", /X-Request-ID/);
    await actual.body?.cancel();
  });
});

Deno.test("X-Request-ID: the client's is echoed and sent upstream; otherwise one is made", async () => {
  await withStack({}, async (stack) => {
    const given = await fetch(`${stack.baseURL}/models`, {
      headers: {
        ...auth,
        "X-Request-ID": "req-123",
        "X-Session-ID": "sess-9",
        "X-Client-ID": "c1",
      },
    });
    assert.equal(given.headers.get("x-request-id"), "req-123");
    await given.body?.cancel();
    const upstream = stack.fake.requestsTo("/models")[0];
    assert.equal(upstream.headers["x-request-id"], "req-123");
    assert.equal(upstream.headers["x-session-id"], "sess-9");
    assert.equal(upstream.headers["x-client-id"], "c1");

    const made = await fetch(`${stack.origin}/nowhere`);
    assert.match(made.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    await made.body?.cancel();

    const unsafe = await fetch(`${stack.origin}/health`, {
      headers: { "X-Request-ID": "bad id with spaces" },
    });
    assert.notEqual(unsafe.headers.get("x-request-id"), "bad id with spaces");
    await unsafe.body?.cancel();
  });
});

Deno.test("one JSON log line per request, with no key, token or Basic header anywhere", async () => {
  await withStack({ env: { MODELS_CACHE_TTL_MS: "0" } }, async (stack) => {
    stack.fake.revokeTokens();
    const openai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    await openai.models.list();
    stack.fake.revokeTokens(); // forces a 401 → refresh round trip
    await openai.models.retrieve("GigaChat-2");
    await openai.models.retrieve("Nope").catch(() => {});
    await fetch(`${stack.baseURL}/models?api_key=${DEMO_KEY}`).then((r) => r.body?.cancel());

    const requests = stack.logRecords().filter((line) => line.msg === "request");
    assert.equal(requests.length, 4);
    const first = requests[0];
    for (const field of ["time", "request_id", "method", "path", "status", "duration_ms"]) {
      assert.ok(field in first, `log line has ${field}`);
    }
    assert.equal(first.path, "/v1/models");
    assert.equal(first.status, 200);
    // Every attempt counts, OAuth's too: the token exchange, then the list.
    assert.equal(first.upstream_attempts, 2);
    assert.equal(requests[1].model, "GigaChat-2");
    // The revoked token's 401, the fresh token's exchange, the second try.
    assert.equal(requests[1].upstream_attempts, 3);

    const tokens = stack.fake.requests.map((r) => r.headers.authorization?.split(" ")[1] ?? "");
    const all = stack.logs.join("\n");
    assert.ok(!all.includes(DEMO_KEY), "the authorization key is never logged");
    for (const token of tokens.filter((value) => value.length > 0)) {
      assert.ok(!all.includes(token), "no access token is logged");
    }
    assert.ok(!/Basic |Bearer /.test(all));
  });
});

Deno.test("a client that disconnects is logged as 499 at once, not when upstream answers", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/models", delayMs: 1500 });
    const controller = new AbortController();
    const pending = fetch(`${stack.baseURL}/models`, { headers: auth, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await assert.rejects(pending);
    // The gateway logs the request as closed by the client (499) well before the upstream
    // would have answered.
    const started = performance.now();
    while (performance.now() - started < 1000) {
      if (stack.logRecords().some((line) => line.msg === "request")) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const line = stack.logRecords().find((record) => record.msg === "request");
    assert.ok(line, "the request was logged within 1 s of the disconnect");
    assert.equal(line.status, 499);
    assert.equal(line.upstream_attempts, 1);
  });
});
