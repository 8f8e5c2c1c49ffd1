import assert from "node:assert/strict";
import OpenAI from "openai";
import type { Fault } from "../fake_gigachat/server.ts";
import { DEMO_KEY, postTo, type Stack, type StackOptions, startStack } from "./helpers/stack.ts";

function openai(stack: Stack): OpenAI {
  return new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
}

async function withStack(options: StackOptions, body: (stack: Stack) => Promise<void>) {
  const stack = await startStack({
    ...options,
    env: { MODELS_CACHE_TTL_MS: "0", ...options.env },
  });
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

function lastRequestLog(stack: Stack): Record<string, unknown> {
  const lines = stack.logRecords().filter((line) => line.msg === "request");
  return lines[lines.length - 1];
}

Deno.test("429 with Retry-After is retried after the asked wait, then succeeds", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({
      path: "/models",
      times: 2,
      status: 429,
      headers: { "Retry-After": "0.2" },
      body: { status: 429, message: "Too many requests" },
    });
    const started = performance.now();
    const list = await openai(stack).models.list();
    const elapsed = performance.now() - started;
    assert.ok(list.data.length > 0);
    assert.equal(stack.fake.requestsTo("/models").length, 3);
    assert.ok(elapsed >= 400, `waited ${elapsed} ms, Retry-After asked for 2 × 200 ms`);
    // The token exchange, then the three tries.
    assert.equal(lastRequestLog(stack).upstream_attempts, 4);
  });
});

Deno.test("the request log counts every attempt, also when every one of them failed", async (t) => {
  const rows: { name: string; fault: Fault; attempts: number; message: RegExp }[] = [
    {
      name: "OAuth down",
      fault: { path: "/oauth", times: 3, status: 503 },
      attempts: 3,
      message: /after 3 attempt/,
    },
    {
      name: "chat down",
      fault: { path: "/chat/completions", times: 3, status: 503 },
      attempts: 4,
      message: /after 3 attempt/,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await withStack({}, async (stack) => {
        stack.fake.inject(row.fault);
        const response = await postTo(stack, "/chat/completions", {
          model: "GigaChat-2-Max",
          messages: [{ role: "user", content: "hi" }],
        });
        assert.equal(response.status, 502);
        assert.match((await response.json()).error.message, row.message);
        assert.equal(lastRequestLog(stack).upstream_attempts, row.attempts);
      });
    });
  }
});

Deno.test("429 after every attempt reaches the client as RateLimitError with Retry-After", async () => {
  await withStack({ env: { UPSTREAM_MAX_ATTEMPTS: "2" } }, async (stack) => {
    stack.fake.inject({
      path: "/models",
      times: 5,
      status: 429,
      headers: { "Retry-After": "1" },
      body: { status: 429, message: "Too many requests" },
    });
    const response = await fetch(`${stack.baseURL}/models`, {
      headers: { Authorization: `Bearer ${DEMO_KEY}` },
    });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "1");
    const body = await response.json();
    assert.equal(body.error.type, "rate_limit_error");
    assert.equal(body.error.code, "rate_limit_exceeded");
    assert.match(body.error.message, /Too many requests/);
    assert.equal(stack.fake.requestsTo("/models").length, 2, "UPSTREAM_MAX_ATTEMPTS=2");
  });
});

Deno.test("429 whose Retry-After exceeds RETRY_MAX_DELAY_MS is answered at once", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/models", status: 429, headers: { "Retry-After": "120" } });
    await assert.rejects(openai(stack).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get("retry-after"), "120");
      return true;
    });
    assert.equal(stack.fake.requestsTo("/models").length, 1);
  });
});

Deno.test("429 without Retry-After backs off exponentially and succeeds", async () => {
  await withStack({ env: { RETRY_BASE_DELAY_MS: "50" } }, async (stack) => {
    stack.fake.inject({ path: "/models", times: 2, status: 429 });
    const started = performance.now();
    await openai(stack).models.list();
    // 50 ms then 100 ms at least (plus jitter up to 50 ms each).
    assert.ok(performance.now() - started >= 150);
    assert.equal(stack.fake.requestsTo("/models").length, 3);
  });
});

Deno.test("500, 502, 503 and 504 are retried", async (t) => {
  for (const status of [500, 502, 503, 504]) {
    await t.step(`HTTP ${status}`, async () => {
      await withStack({}, async (stack) => {
        stack.fake.inject({ path: "/models", status });
        const list = await openai(stack).models.list();
        assert.ok(list.data.length > 0);
        assert.equal(stack.fake.requestsTo("/models").length, 2);
      });
    });
  }
});

Deno.test("5xx on every attempt becomes a 502 naming the upstream status", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/models", times: 3, status: 503 });
    await assert.rejects(openai(stack).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError);
      assert.equal(error.status, 502);
      assert.equal(error.code, "upstream_error");
      assert.match(error.message, /HTTP 503.*after 3 attempt/);
      return true;
    });
  });
});

Deno.test("a connection reset before the headers is retried; resets on every attempt give 502", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/models", reset: true });
    const list = await openai(stack).models.list();
    assert.ok(list.data.length > 0);

    stack.fake.inject({ path: "/models", reset: true, times: 3 });
    await assert.rejects(openai(stack).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      assert.equal(error.code, "upstream_unreachable");
      return true;
    });
  });
});

Deno.test("400/404/413 are not retried and map to OpenAI errors", async (t) => {
  const rows = [
    { status: 400, message: "Invalid params", expect: 400, code: null },
    { status: 422, message: "Unprocessable", expect: 400, code: "unprocessable_entity" },
    { status: 402, message: "Payment required", expect: 429, code: "insufficient_quota" },
    { status: 403, message: "Forbidden", expect: 403, code: "permission_denied" },
    { status: 413, message: "Too large", expect: 413, code: "request_too_large" },
  ];
  for (const row of rows) {
    await t.step(`HTTP ${row.status}`, async () => {
      await withStack({}, async (stack) => {
        stack.fake.inject({
          path: "/models",
          status: row.status,
          body: { status: row.status, message: row.message },
        });
        const response = await fetch(`${stack.baseURL}/models`, {
          headers: { Authorization: `Bearer ${DEMO_KEY}` },
        });
        assert.equal(response.status, row.expect);
        const body = await response.json();
        assert.equal(body.error.code, row.code);
        assert.match(body.error.message, new RegExp(row.message));
        assert.equal(stack.fake.requestsTo("/models").length, 1);
        // None of these gets better by itself: the SDKs must not send it again either.
        assert.equal(response.headers.get("x-should-retry"), "false");
      });
    });
  }
});

Deno.test("an unknown model is a 404 model_not_found (recorded sample models_get_404.json)", async () => {
  await withStack({}, async (stack) => {
    await assert.rejects(openai(stack).models.retrieve("NonExistentModel"), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, "model_not_found");
      assert.equal(error.param, "model");
      assert.match(error.message, /'NonExistentModel'.*GET \/v1\/models.*MODEL_ALIASES/);
      return true;
    });
    stack.fake.inject({
      path: "/chat/completions",
      status: 404,
      body: { status: 404, message: "No such model" },
    });
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat-Old",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(response.status, 404);
    assert.match((await response.json()).error.message, /^The model 'GigaChat-Old' does not exist/);
  });
});

Deno.test("MODEL_ALIASES appear in the list and resolve on retrieve", async () => {
  await withStack(
    { env: { MODEL_ALIASES: '{"gpt-4o":"GigaChat-2-Max","gpt-ghost":"Missing"}' } },
    async (stack) => {
      const ids = (await openai(stack).models.list()).data.map((model) => model.id);
      assert.ok(ids.includes("gpt-4o"));
      assert.ok(!ids.includes("gpt-ghost"), "an alias to an unlisted model is not advertised");
      const model = await openai(stack).models.retrieve("gpt-4o");
      assert.equal(model.id, "gpt-4o");
    },
  );
});

Deno.test("an upstream slower than REQUEST_TIMEOUT_MS gives 504", async () => {
  await withStack({ env: { REQUEST_TIMEOUT_MS: "300" } }, async (stack) => {
    stack.fake.inject({ path: "/models", delayMs: 1000 });
    await assert.rejects(openai(stack).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 504);
      assert.equal(error.code, "timeout");
      return true;
    });
  });
});

Deno.test("headers later than CONNECT_TIMEOUT_MS are retried, then 504", async () => {
  await withStack({ env: { CONNECT_TIMEOUT_MS: "200" } }, async (stack) => {
    stack.fake.inject({ path: "/models", delayMs: 600 });
    const list = await openai(stack).models.list();
    assert.ok(list.data.length > 0, "the second attempt answered in time");

    stack.fake.inject({ path: "/models", delayMs: 600, times: 3 });
    await assert.rejects(openai(stack).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 504);
      return true;
    });
  });
});

Deno.test("OAuth 5xx is retried; an OAuth server that stays down gives 502", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/oauth", status: 503 });
    await openai(stack).models.list();
    assert.equal(stack.fake.oauthCalls, 2);
  });
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/oauth", times: 3, reset: true });
    await assert.rejects(openai(stack).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      return true;
    });
  });
});

Deno.test("an upstream certificate from an untrusted CA fails closed with a GIGACHAT_CA_FILE hint", async () => {
  // The stack's CA file is replaced by the built-in Russian CAs only: the fake's CA is unknown.
  await withStack({ env: { GIGACHAT_CA_FILE: "", RETRY_BASE_DELAY_MS: "2000" } }, async (stack) => {
    const started = performance.now();
    const response = await fetch(`${stack.baseURL}/models`, {
      headers: { Authorization: `Bearer ${DEMO_KEY}` },
    });
    assert.equal(response.status, 502);
    const body = await response.json();
    assert.equal(body.error.code, "upstream_tls_error");
    assert.match(body.error.message, /GIGACHAT_CA_FILE/);
    assert.equal(response.headers.get("x-should-retry"), "false", "no client retry either");
    assert.equal(stack.fake.oauthCalls, 0, "the TLS handshake failed before any request");
    // A retry would have waited RETRY_BASE_DELAY_MS (2 s) first.
    assert.ok(performance.now() - started < 1500, "TLS failures are not retried");
  });
});

Deno.test("x-should-retry: false marks only the errors a retry cannot fix", async (t) => {
  await withStack({ env: { UPSTREAM_MAX_ATTEMPTS: "1" } }, async (stack) => {
    const ask = () =>
      postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "hi" }],
      });
    const rows: {
      name: string;
      fault?: Fault;
      body?: object;
      status: number;
      header: string | null;
    }[] = [
      { name: "GigaChat down (503)", fault: { status: 503 }, status: 502, header: null },
      { name: "GigaChat rate limit (429)", fault: { status: 429 }, status: 429, header: null },
      {
        name: "a bad request (400)",
        body: { model: "GigaChat-2-Max" },
        status: 400,
        header: "false",
      },
      {
        name: "a model GigaChat does not know (404)",
        fault: { status: 404, body: { status: 404, message: "No such model" } },
        status: 404,
        header: "false",
      },
    ];
    for (const row of rows) {
      await t.step(row.name, async () => {
        if (row.fault) stack.fake.inject({ path: "/chat/completions", ...row.fault });
        const response = row.body
          ? await postTo(stack, "/chat/completions", row.body)
          : await ask();
        assert.equal(response.status, row.status);
        assert.equal(response.headers.get("x-should-retry"), row.header);
        await response.body?.cancel();
      });
    }
  });
});

Deno.test("MODEL_FALLBACKS: GigaChat unable to answer with a model, its fallback answers and says so", async () => {
  const stack = await startStack({
    env: { MODEL_FALLBACKS: '{"GigaChat-2-Max":["GigaChat-2"]}', UPSTREAM_MAX_ATTEMPTS: "2" },
  });
  try {
    // Both attempts of GigaChat-2-Max are refused as overloaded; GigaChat-2 answers.
    stack.fake.inject({ path: "/chat/completions", status: 503, times: 2 });
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${DEMO_KEY}` },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(response.headers.get("x-gateway-fallback-model"), "GigaChat-2");
    assert.equal(body.model, "GigaChat-2", "the answer names the model that answered");
    assert.deepEqual(
      stack.fake.chatBodies().map((sent) => sent.model),
      ["GigaChat-2-Max", "GigaChat-2-Max", "GigaChat-2"],
      "both attempts of the model, then its fallback",
    );
    const metrics = await (await fetch(`${stack.origin}/metrics`)).text();
    assert.match(
      metrics,
      /gigachat_gateway_fallbacks_total\{from="GigaChat-2-Max",to="GigaChat-2"\} 1/,
    );
    // A refusal of the request itself never falls back.
    stack.fake.inject({
      path: "/chat/completions",
      status: 400,
      body: { status: 400, message: "bad" },
    });
    const refused = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${DEMO_KEY}` },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get("x-gateway-fallback-model"), null);
    await refused.body?.cancel();
  } finally {
    await stack.close();
  }
});
