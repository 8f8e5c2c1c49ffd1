import assert from "node:assert/strict";
import OpenAI from "openai";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";

const OTHER_KEY = btoa("other-client:other-secret");

function client(baseURL: string, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0 });
}

Deno.test("pass-through: a missing key is an OpenAI 401, not a 500", async () => {
  const stack = await startStack();
  try {
    const response = await fetch(`${stack.baseURL}/models`);
    assert.equal(response.status, 401);
    const body = await response.json();
    assert.equal(body.error.type, "authentication_error");
    assert.equal(body.error.code, "missing_api_key");
    assert.match(body.error.message, /Authorization: Bearer/);
    assert.equal(stack.fake.oauthCalls, 0);
  } finally {
    await stack.close();
  }
});

Deno.test("pass-through: a key GigaChat rejects becomes AuthenticationError in the openai client", async () => {
  const stack = await startStack();
  try {
    await assert.rejects(
      client(stack.baseURL, btoa("nobody:wrong")).models.list(),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.AuthenticationError);
        assert.equal(error.status, 401);
        assert.equal(error.code, "invalid_api_key");
        assert.match(error.message, /did not accept the authorization key/);
        return true;
      },
    );
  } finally {
    await stack.close();
  }
});

Deno.test("pass-through: refused keys are remembered, and one address may try only so many", async () => {
  const stack = await startStack();
  const models = (key: string) =>
    fetch(`${stack.baseURL}/models`, { headers: { Authorization: `Bearer ${key}` } });
  try {
    // A good key first: its token is cached, so it is served whatever comes after.
    const good = await models(DEMO_KEY);
    assert.equal(good.status, 200);
    await good.body?.cancel();
    const before = stack.fake.oauthCalls;
    for (let i = 0; i < 5; i++) {
      const again = await models(btoa("nobody:wrong"));
      assert.equal(again.status, 401);
      await again.body?.cancel();
    }
    assert.equal(stack.fake.oauthCalls - before, 1, "one refusal, then remembered");
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const random = await models(btoa(`random-${i}:${crypto.randomUUID()}`));
      statuses.push(random.status);
      if (random.status === 429) assert.ok(Number(random.headers.get("retry-after")) >= 1);
      await random.body?.cancel();
    }
    assert.equal(
      stack.fake.oauthCalls - before,
      20,
      "at most 20 refused keys a minute per address",
    );
    assert.deepEqual(statuses.slice(0, 19), Array(19).fill(401));
    assert.deepEqual(statuses.slice(19), Array(31).fill(429));
    const stillGood = await models(DEMO_KEY);
    assert.equal(stillGood.status, 200, "a key with a token is not held up");
    await stillGood.body?.cancel();
    // Each failed request's log line names its error's code.
    const codes = stack.logRecords().filter((line) => line.msg === "request" && line.status !== 200)
      .map((line) => line.error_code);
    assert.ok(codes.includes("invalid_api_key") && codes.includes("too_many_refused_keys"));
    assert.ok(codes.every((code) => typeof code === "string"), JSON.stringify(codes));
  } finally {
    await stack.close();
  }
});

Deno.test("pass-through: a scope the key lacks gives a 401 that names GIGACHAT_DEFAULT_SCOPE", async () => {
  const stack = await startStack({
    env: { GIGACHAT_DEFAULT_SCOPE: "corp" },
    fake: { keys: { [DEMO_KEY]: ["GIGACHAT_API_PERS"] } },
  });
  try {
    await assert.rejects(client(stack.baseURL, DEMO_KEY).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.match(error.message, /GIGACHAT_DEFAULT_SCOPE/);
      return true;
    });
    const oauth = stack.fake.requestsTo("/oauth")[0];
    assert.equal(oauth.body, "scope=GIGACHAT_API_CORP");
  } finally {
    await stack.close();
  }
});

Deno.test("OAuth request carries Basic key, a uuid4 RqUID and a form-encoded scope", async () => {
  const stack = await startStack();
  try {
    await client(stack.baseURL, DEMO_KEY).models.list();
    await client(stack.baseURL, DEMO_KEY).models.retrieve("GigaChat-preview-missing").catch(
      () => {},
    );
    const [oauth] = stack.fake.requestsTo("/oauth");
    assert.equal(oauth.method, "POST");
    assert.equal(oauth.headers.authorization, `Basic ${DEMO_KEY}`);
    assert.match(oauth.headers.rquid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-/);
    assert.equal(oauth.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(oauth.body, "scope=GIGACHAT_API_PERS");
    assert.equal(stack.fake.oauthCalls, 1, "the second request reuses the cached token");
    const api = stack.fake.requestsTo("/models")[0];
    assert.match(api.headers.authorization, /^Bearer fake-token-/);
  } finally {
    await stack.close();
  }
});

Deno.test("tokens are cached per key: two users, two OAuth calls, then none", async () => {
  const stack = await startStack({
    env: { MODELS_CACHE_TTL_MS: "0" },
    fake: { keys: { [DEMO_KEY]: ["GIGACHAT_API_PERS"], [OTHER_KEY]: ["GIGACHAT_API_PERS"] } },
  });
  try {
    for (let i = 0; i < 3; i++) {
      await client(stack.baseURL, DEMO_KEY).models.list();
      await client(stack.baseURL, OTHER_KEY).models.list();
    }
    assert.equal(stack.fake.oauthCalls, 2);
    const tokens = new Set(stack.fake.requestsTo("/models").map((r) => r.headers.authorization));
    assert.equal(tokens.size, 2, "each key has its own token");
  } finally {
    await stack.close();
  }
});

Deno.test("50 concurrent cold requests cause exactly one OAuth call (single-flight)", async () => {
  const stack = await startStack({ env: { MODELS_CACHE_TTL_MS: "0" } });
  try {
    // A slow OAuth answer makes every request arrive while the exchange is in flight.
    stack.fake.inject({ path: "/oauth", delayMs: 200 });
    const openai = client(stack.baseURL, DEMO_KEY);
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => openai.models.retrieve(i % 2 ? "GigaChat" : "GigaChat-2"),
      ),
    );
    assert.equal(results.length, 50);
    assert.equal(stack.fake.oauthCalls, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("an expired token is refreshed before use (expires_at in ms, refresh buffer)", async () => {
  // Tokens live 1000 ms; with a 300 ms buffer the gateway renews at ~700 ms, while the old token
  // would still be accepted: only the buffer can explain a second OAuth call at 800 ms.
  const stack = await startStack({
    env: { TOKEN_REFRESH_BUFFER_MS: "300", MODELS_CACHE_TTL_MS: "0" },
    fake: { tokenTtlMs: 1000 },
  });
  try {
    const openai = client(stack.baseURL, DEMO_KEY);
    await openai.models.list();
    await new Promise((resolve) => setTimeout(resolve, 800));
    await openai.models.list();
    assert.equal(stack.fake.oauthCalls, 2);
    assert.equal(stack.fake.requestsTo("/models").length, 2, "no 401 round trip was needed");
  } finally {
    await stack.close();
  }
});

Deno.test("a 401 on a token that looks valid drops it, refreshes once and retries once", async () => {
  const stack = await startStack({ env: { MODELS_CACHE_TTL_MS: "0" } });
  try {
    const openai = client(stack.baseURL, DEMO_KEY);
    await openai.models.list();
    stack.fake.revokeTokens();
    const models = await openai.models.list();
    assert.ok(models.data.length > 0);
    assert.equal(stack.fake.oauthCalls, 2);
    const calls = stack.fake.requestsTo("/models");
    assert.equal(calls.length, 3, "first call, the refused one, the retry");
    assert.notEqual(calls[1].headers.authorization, calls[2].headers.authorization);
  } finally {
    await stack.close();
  }
});

Deno.test("a 401 that survives the refresh reaches the client as 401 after one retry only", async () => {
  const stack = await startStack({ env: { MODELS_CACHE_TTL_MS: "0" } });
  try {
    stack.fake.inject({
      path: "/models",
      times: 5,
      status: 401,
      body: { status: 401, message: "Token has expired" },
    });
    await assert.rejects(client(stack.baseURL, DEMO_KEY).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      return true;
    });
    assert.equal(stack.fake.requestsTo("/models").length, 2);
    assert.equal(stack.fake.oauthCalls, 2);
  } finally {
    await stack.close();
  }
});

Deno.test("server-side mode: PROXY_API_KEYS guard the gateway's own credentials", async () => {
  const stack = await startStack({
    env: { GIGACHAT_CREDENTIALS: DEMO_KEY, PROXY_API_KEYS: "team-key-1, team-key-2" },
  });
  try {
    const ok = await client(stack.baseURL, "team-key-2").models.list();
    assert.ok(ok.data.length > 0);
    const viaHeader = await fetch(`${stack.baseURL}/models`, {
      headers: { "x-api-key": "team-key-1" },
    });
    assert.equal(viaHeader.status, 200);
    await viaHeader.body?.cancel();
    await assert.rejects(client(stack.baseURL, DEMO_KEY).models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.match(error.message, /PROXY_API_KEYS/);
      return true;
    });
    const missing = await fetch(`${stack.baseURL}/models`);
    assert.equal(missing.status, 401);
    await missing.body?.cancel();
    assert.equal(stack.fake.requestsTo("/oauth")[0].headers.authorization, `Basic ${DEMO_KEY}`);
    assert.equal(stack.fake.oauthCalls, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("server-side mode on loopback without PROXY_API_KEYS needs no client key", async () => {
  const stack = await startStack({ env: { GIGACHAT_CREDENTIALS: DEMO_KEY } });
  try {
    const response = await fetch(`${stack.baseURL}/models`);
    assert.equal(response.status, 200);
    assert.equal((await response.json()).object, "list");
  } finally {
    await stack.close();
  }
});

Deno.test("pass-through: a refused key causes the OAuth call and nothing else", async (t) => {
  let imageHits = 0;
  const images = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    imageHits++;
    return new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });
  const stack = await startStack({ env: { ALLOW_PRIVATE_IMAGE_URLS: "true" } });
  const wrong = btoa("nobody:wrong");
  const send = (path: string, body: BodyInit, type?: string) =>
    fetch(`${stack.baseURL}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${wrong}`, ...(type ? { "Content-Type": type } : {}) },
      body,
    });
  const form = new FormData();
  form.set("purpose", "general");
  form.set("file", new File([new Uint8Array(100)], "a.png", { type: "image/png" }));
  const rows: [string, () => Promise<Response>][] = [
    ["chat with an image URL", () =>
      send(
        "/chat/completions",
        JSON.stringify({
          model: "GigaChat-2-Max",
          messages: [{
            role: "user",
            content: [{
              type: "image_url",
              image_url: { url: `http://127.0.0.1:${images.addr.port}/cat.png` },
            }],
          }],
        }),
        "application/json",
      )],
    ["a file upload", () => send("/files", form)],
    [
      "embeddings",
      () =>
        send(
          "/embeddings",
          JSON.stringify({ model: "Embeddings", input: "hi" }),
          "application/json",
        ),
    ],
  ];
  try {
    for (const [i, [name, call]] of rows.entries()) {
      await t.step(name, async () => {
        stack.fake.requests.length = 0;
        const response = await call();
        assert.equal(response.status, 401);
        assert.equal((await response.json()).error.code, "invalid_api_key");
        // The first refusal is remembered: later requests with the key ask GigaChat nothing.
        assert.deepEqual(
          stack.fake.requests.map((r) => r.path),
          i === 0 ? ["/api/v2/oauth"] : [],
        );
      });
    }
    assert.equal(imageHits, 0, "the image URL was never fetched");
  } finally {
    await stack.close();
    await images.shutdown();
  }
});

Deno.test("server-side mode with a GIGACHAT_CREDENTIALS GigaChat refuses: a 500 that says whose key, logged", async () => {
  const stack = await startStack({
    env: { GIGACHAT_CREDENTIALS: btoa("nobody:wrong"), PROXY_API_KEYS: "team-key-1" },
  });
  try {
    await assert.rejects(client(stack.baseURL, "team-key-1").models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError, String(error));
      assert.equal(error.code, "gateway_misconfigured");
      assert.match(error.message, /GIGACHAT_CREDENTIALS.*your key is fine/);
      return true;
    });
    const errors = stack.logRecords().filter((line) => line.level === "error");
    assert.deepEqual(errors.map((line) => line.msg), ["GIGACHAT_CREDENTIALS refused"]);
    assert.ok(!stack.logs.join("\n").includes(btoa("nobody:wrong")), "the key is not logged");
  } finally {
    await stack.close();
  }
});
