// Keys as tenants (issue #26): the admin API makes, changes and revokes keys at run time; each
// key has its limits, and its use is recorded per day and model in the embedded store.
import assert from "node:assert/strict";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";

async function tenantStack(dataDir: string, env: Record<string, string> = {}): Promise<Stack> {
  return await startStack({
    env: { GIGACHAT_CREDENTIALS: DEMO_KEY, ADMIN_TOKEN: ADMIN, DATA_DIR: dataDir, ...env },
  });
}

/** Runs `body` against a fresh tenant stack in a temporary DATA_DIR, then removes both. */
async function withTenantStack(
  envOrBody: Record<string, string> | ((stack: Stack) => Promise<void>),
  maybeBody?: (stack: Stack) => Promise<void>,
): Promise<void> {
  const [env, body] = typeof envOrBody === "function" ? [{}, envOrBody] : [envOrBody, maybeBody!];
  const dir = await Deno.makeTempDir();
  const stack = await tenantStack(dir, env);
  try {
    await body(stack);
  } finally {
    await stack.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function admin(stack: Stack, method: string, path: string, body?: unknown, token = ADMIN) {
  return fetch(`${stack.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function chat(stack: Stack, key: string, model = "GigaChat-2-Max") {
  return fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }] }),
  });
}

Deno.test("admin API: off without ADMIN_TOKEN; the admin token, never a proxy key, opens it", async () => {
  const off = await startStack({ env: { GIGACHAT_CREDENTIALS: DEMO_KEY } });
  try {
    const response = await admin(off, "GET", "/admin/keys");
    assert.equal(response.status, 404);
    assert.equal((await response.json()).error.code, "admin_api_off");
  } finally {
    await off.close();
  }
  await withTenantStack({ PROXY_API_KEYS: "sk-static" }, async (stack) => {
    for (const token of ["wrong-token-0123456789", "sk-static", ""]) {
      const response = await admin(stack, "GET", "/admin/keys", undefined, token);
      assert.equal(response.status, 401, token);
      assert.equal((await response.json()).error.code, "invalid_admin_token");
    }
    const bad = [
      [{}, "name"],
      [{ name: "" }, "name"],
      [{ name: "a", rpm: 0 }, "rpm"],
      [{ name: "a", rpm: "5" }, "rpm"],
      [{ name: "a", expires_at: "tomorrow" }, "expires_at"],
      [{ name: "a", allowed_models: "GigaChat" }, "allowed_models"],
      [{ name: "a", surprise: true }, "body"],
    ] as const;
    for (const [body, param] of bad) {
      const response = await admin(stack, "POST", "/admin/keys", body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((await response.json()).error.param, param, JSON.stringify(body));
    }
    // Keys listed a page at a time.
    for (const name of ["k1", "k2", "k3"]) await admin(stack, "POST", "/admin/keys", { name });
    const first = await (await admin(stack, "GET", "/admin/keys?limit=2&order=asc")).json();
    assert.deepEqual(first.data.map((k: { name: string }) => k.name), ["k1", "k2"]);
    assert.equal(first.has_more, true);
    const rest = await (await admin(
      stack,
      "GET",
      `/admin/keys?limit=2&order=asc&after=${first.last_id}`,
    )).json();
    assert.deepEqual(rest.data.map((k: { name: string }) => k.name), ["k3"]);
    assert.equal(rest.has_more, false);
    // The static proxy key still works beside the tenants.
    assert.equal((await chat(stack, "sk-static")).status, 200);
  });
});

Deno.test("a key made through the admin API works at once, is refused once revoked, and its use is recorded", async () => {
  await withTenantStack({}, async (stack) => {
    const created = await admin(stack, "POST", "/admin/keys", {
      name: "alice",
      allowed_models: ["GigaChat-2-Max"],
    });
    assert.equal(created.status, 201);
    const key = await created.json();
    assert.match(key.key, /^gk-[\w-]{40,}$/);
    assert.equal(key.key_prefix, key.key.slice(0, 8));
    const first = await chat(stack, key.key);
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const other = await chat(stack, key.key, "GigaChat-2");
    assert.equal(other.status, 403);
    assert.equal((await other.json()).error.code, "model_not_allowed");
    // Listed without its secret, nor its hash.
    const list = await (await admin(stack, "GET", "/admin/keys")).json();
    assert.equal(list.data.length, 1);
    assert.ok(!JSON.stringify(list).includes(key.key));
    assert.ok(!("hash" in list.data[0]));
    // Its log line names it; the key never appears.
    const line = stack.logRecords().find((record) =>
      record.msg === "request" && record.path === "/v1/chat/completions"
    );
    assert.equal(line?.tenant, "alice");
    assert.ok(stack.logs.every((text) => !text.includes(key.key)));
    // Prometheus series by the key's name (bounded: names come from the key list).
    const refusedMetrics = await fetch(`${stack.origin}/metrics`, {
      headers: { authorization: `Bearer ${key.key}` },
    });
    assert.equal(refusedMetrics.status, 401, "a tenant never reads the others' series");
    await refusedMetrics.body?.cancel();
    const metrics = await (await fetch(`${stack.origin}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    })).text();
    assert.match(
      metrics,
      /gigachat_gateway_tenant_requests_total\{tenant="alice",outcome="ok"\} 1/,
    );
    assert.match(
      metrics,
      /gigachat_gateway_tenant_tokens_total\{tenant="alice",direction="in"\} 17/,
    );
    // Usage per day, key and model.
    const used = await (await admin(stack, "GET", `/admin/usage?key=${key.id}`)).json();
    assert.deepEqual(
      used.data.map((
        row: Record<string, unknown>,
      ) => [row.key_name, row.model, row.requests, row.errors, row.tokens_in, row.tokens_out]),
      [["alice", "GigaChat-2", 1, 1, 0, 0], ["alice", "GigaChat-2-Max", 1, 0, 17, 3]],
    );
    const csv = await (await admin(stack, "GET", "/admin/usage?format=csv")).text();
    assert.match(csv, /^day,key_id,key_name,model,requests,errors,tokens_in,tokens_out,cost\r\n/);
    assert.match(csv, /,alice,GigaChat-2-Max,1,0,17,3,0\r\n/);
    // A made-up model name is recorded as "other": clients cannot grow the record.
    const madeUp = await chat(stack, key.key, "x".repeat(5000));
    await madeUp.body?.cancel();
    const models = (await (await admin(stack, "GET", "/admin/usage")).json()).data
      .map((row: { model: string }) => row.model);
    assert.ok(models.includes("other") && models.every((model: string) => model.length < 100));
    // Revoked: refused at once.
    const revoked = await admin(stack, "DELETE", `/admin/keys/${key.id}`);
    assert.equal((await revoked.json()).disabled, true);
    const refused = await chat(stack, key.key);
    assert.equal(refused.status, 401);
    assert.match((await refused.json()).error.message, /revoked/);
    // Expired: refused too.
    const past = await admin(stack, "PATCH", `/admin/keys/${key.id}`, {
      disabled: false,
      expires_at: Math.floor(Date.now() / 1000) - 10,
    });
    assert.equal(past.status, 200);
    assert.match((await (await chat(stack, key.key)).json()).error.message, /expired/);
    assert.equal((await admin(stack, "GET", "/admin/keys/key_nope")).status, 404);
    for (const query of ["from=2026-13-45", "from=2026-12-08&to=2026-12-01", "format=xml"]) {
      const response = await admin(stack, "GET", `/admin/usage?${query}`);
      assert.equal(response.status, 400, query);
      await response.body?.cancel();
    }
  });
});

Deno.test("rpm: the request over a key's limit is a 429 before GigaChat, in each dialect's shape", async () => {
  await withTenantStack({}, async (stack) => {
    const key = await (await admin(stack, "POST", "/admin/keys", { name: "bob", rpm: 2 })).json();
    for (let i = 0; i < 2; i++) {
      const ok = await chat(stack, key.key);
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    }
    const sent = stack.fake.chatBodies().length;
    const limited = await chat(stack, key.key);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal((await limited.json()).error.code, "rate_limit_exceeded");
    const messages = await fetch(`${stack.baseURL}/messages`, {
      method: "POST",
      headers: { "x-api-key": key.key, "content-type": "application/json" },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal(messages.status, 429);
    assert.equal((await messages.json()).error.type, "rate_limit_error");
    const gemini = await fetch(`${stack.origin}/v1beta/models/GigaChat-2-Max:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": key.key, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "Hi" }] }] }),
    });
    assert.equal(gemini.status, 429);
    assert.equal((await gemini.json()).error.status, "RESOURCE_EXHAUSTED");
    assert.equal(stack.fake.chatBodies().length, sent, "nothing reached GigaChat");
  });
});

Deno.test("a restart keeps keys and usage (the embedded store under DATA_DIR)", async () => {
  const dir = await Deno.makeTempDir();
  let stack = await tenantStack(dir);
  let key: { id: string; key: string };
  try {
    key = await (await admin(stack, "POST", "/admin/keys", { name: "carol" })).json();
    const ok = await chat(stack, key.key);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await stack.close();
  }
  stack = await tenantStack(dir);
  try {
    const again = await chat(stack, key.key);
    assert.equal(again.status, 200);
    await again.body?.cancel();
    const used = await (await admin(stack, "GET", `/admin/usage?key=${key.id}`)).json();
    assert.equal(used.data[0].requests, 2, "both runs' requests, the first flushed on close");
  } finally {
    await stack.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fair share: with 2 slots and a line of 5, Alice's burst of 50 leaves Bob's 3 requests served", async () => {
  await withTenantStack({ UPSTREAM_CONCURRENCY: "2", QUEUE_MAX: "5" }, async (stack) => {
    const alice = await (await admin(stack, "POST", "/admin/keys", { name: "alice" })).json();
    const bob = await (await admin(stack, "POST", "/admin/keys", { name: "bob" })).json();
    // Each answer takes a while, so the burst piles up.
    stack.fake.inject({ path: "/chat/completions", delayMs: 150, times: 60 });
    const burst = Array.from({ length: 50 }, () => chat(stack, alice.key));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const bobs = Array.from({ length: 3 }, () => chat(stack, bob.key));
    const bobStatuses = await Promise.all(bobs.map(async (r) => {
      const response = await r;
      await response.body?.cancel();
      return response.status;
    }));
    const aliceStatuses = await Promise.all(burst.map(async (r) => {
      const response = await r;
      await response.body?.cancel();
      return response.status;
    }));
    assert.deepEqual(bobStatuses, [200, 200, 200], "Bob waits only behind his own requests");
    assert.equal(aliceStatuses.filter((status) => status === 200).length, 7, "2 slots + 5 waiting");
    assert.equal(aliceStatuses.filter((status) => status === 429).length, 43);
    assert.ok(stack.fake.maxActiveChats <= 2, "never more than the 2 slots at once");
  });
});

Deno.test("token budgets: a day's budget spent is insufficient_quota, and a restart remembers it", async () => {
  const dir = await Deno.makeTempDir();
  let stack = await tenantStack(dir);
  try {
    const key = await (await admin(stack, "POST", "/admin/keys", {
      name: "dave",
      daily_tokens: 30,
    })).json();
    assert.equal(key.daily_tokens, 30);
    // Each answer of the fake costs 20 tokens (17 in, 3 out): the second still fits under 30
    // when it starts, the third does not.
    for (let i = 0; i < 2; i++) {
      const ok = await chat(stack, key.key);
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    }
    const spent = await chat(stack, key.key);
    assert.equal(spent.status, 429);
    assert.ok(Number(spent.headers.get("retry-after")) > 0, "until the next UTC day");
    const body = await spent.json();
    assert.equal(body.error.type, "insufficient_quota");
    assert.match(body.error.message, /30 tokens a day is spent \(40 used\)/);
    const messages = await fetch(`${stack.baseURL}/messages`, {
      method: "POST",
      headers: { "x-api-key": key.key, "content-type": "application/json" },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal((await messages.json()).error.type, "billing_error");
    await stack.close();
    stack = await tenantStack(dir);
    const after = await chat(stack, key.key);
    assert.equal(after.status, 429, "the day's use survives a restart");
    await after.body?.cancel();
    // Raised by an admin: at once.
    await admin(stack, "PATCH", `/admin/keys/${key.id}`, { daily_tokens: 100 });
    const raised = await chat(stack, key.key);
    assert.equal(raised.status, 200);
    await raised.body?.cancel();
  } finally {
    await stack.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tokens per minute: over the limit is a 429 with Retry-After", async () => {
  await withTenantStack({}, async (stack) => {
    const key = await (await admin(stack, "POST", "/admin/keys", { name: "erin", tpm: 25 })).json();
    for (let i = 0; i < 2; i++) {
      const ok = await chat(stack, key.key);
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    }
    const limited = await chat(stack, key.key);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal((await limited.json()).error.code, "rate_limit_exceeded");
  });
});

Deno.test("max_concurrent: a key's generations beyond its limit are a 429, freed as they end", async () => {
  await withTenantStack({}, async (stack) => {
    const key = await (await admin(stack, "POST", "/admin/keys", {
      name: "frank",
      max_concurrent: 1,
    })).json();
    assert.equal(key.max_concurrent, 1);
    stack.fake.inject({ path: "/chat/completions", delayMs: 200 });
    const slow = chat(stack, key.key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await chat(stack, key.key);
    assert.equal(second.status, 429);
    assert.match((await second.json()).error.message, /1 generations at once/);
    const first = await slow;
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const third = await chat(stack, key.key);
    assert.equal(third.status, 200, "free again once the first ended");
    await third.body?.cancel();
  });
});

Deno.test("money: usage has a cost at MODEL_PRICES, and a spent monthly_budget is insufficient_quota", async () => {
  await withTenantStack({
    // 20 tokens an answer at one unit a token: 20 an answer.
    MODEL_PRICES: '{"GigaChat-2-Max":{"input":1000000,"output":1000000}}',
  }, async (stack) => {
    const key = await (await admin(stack, "POST", "/admin/keys", {
      name: "judy",
      monthly_budget: 30,
    })).json();
    assert.equal(key.monthly_budget, 30);
    assert.equal((await chat(stack, key.key)).status, 200);
    assert.equal((await chat(stack, key.key)).status, 200, "20 spent of 30: it may go");
    const spent = await chat(stack, key.key);
    assert.equal(spent.status, 429);
    assert.match((await spent.json()).error.message, /budget of 30 a month is spent \(40 used/);
    const used = await (await admin(stack, "GET", `/admin/usage?key=${key.id}`)).json();
    assert.equal(used.data[0].cost, 40);
    const csv = await (await admin(stack, "GET", "/admin/usage?format=csv")).text();
    assert.match(csv, /,tokens_out,cost\r\n/);
    assert.match(
      csv,
      /,judy,GigaChat-2-Max,3,1,34,6,40\r\n/,
      "the refused one counted as an error",
    );
  });
});
