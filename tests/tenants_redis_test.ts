// Tenants over one real redis-server (Debian's package; .ci/run installs it): two gateway
// instances see each other's keys at once, enforce one requests-per-minute limit together,
// and share the usage record.
import assert from "node:assert/strict";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";
import { freePort } from "./helpers/free_port.ts";
import { needs } from "./helpers/system_programs.ts";
import { PASSWORD, startRedis } from "./helpers/redis_server.ts";

const ADMIN = "redis-admin-token-0123456789";

function admin(stack: Stack, method: string, path: string, body?: unknown) {
  return fetch(`${stack.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function chat(stack: Stack, key: string): Promise<number> {
  const response = await fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "GigaChat-2-Max", messages: [{ role: "user", content: "Hi" }] }),
  });
  await response.body?.cancel();
  return response.status;
}

Deno.test({
  name:
    "REDIS_URL: two instances share keys (revoked at once on both), usage, and one limit of each kind",
  ignore: needs("redis-server").ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const redisPort = freePort();
    const redis = await startRedis(dir, redisPort);
    const env = {
      GIGACHAT_CREDENTIALS: DEMO_KEY,
      ADMIN_TOKEN: ADMIN,
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redisPort}`,
      // 20 tokens an answer at one unit a token.
      MODEL_PRICES: '{"GigaChat-2-Max":{"input":1000000,"output":1000000}}',
    };
    const a = await startStack({ env });
    const b = await startStack({ env, sharedFake: a.fake });
    try {
      const made = await admin(a, "POST", "/admin/keys", { name: "gina", rpm: 4 });
      assert.equal(made.status, 201);
      const key = await made.json();
      // Made on A, listed and served on B at once.
      const listed = await (await admin(b, "GET", "/admin/keys")).json();
      assert.deepEqual(listed.data.map((k: { id: string }) => k.id), [key.id]);
      assert.equal(await chat(a, key.key), 200);
      assert.equal(await chat(b, key.key), 200);
      assert.equal(await chat(a, key.key), 200);
      assert.equal(await chat(b, key.key), 200);
      // Four a minute across both instances: the fifth is refused on either.
      assert.equal(await chat(a, key.key), 429);
      assert.equal(await chat(b, key.key), 429);
      // Usage recorded by both, read from either.
      // Each instance writes its usage once a second.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const used = await (await admin(b, "GET", `/admin/usage?key=${key.id}`)).json();
      const ok = used.data.find((row: { model: string }) => row.model === "GigaChat-2-Max");
      assert.equal(ok?.requests, 4);
      assert.equal(ok?.tokens_in, 4 * 17);
      // Revoked on B: refused on A at once.
      await admin(b, "PATCH", `/admin/keys/${key.id}`, { rpm: null });
      assert.equal(await chat(a, key.key), 200, "the limit lifted on B holds on A");
      await admin(b, "DELETE", `/admin/keys/${key.id}`);
      assert.equal(await chat(a, key.key), 401);
      // A day's budget of 50 tokens (20 an answer) counted once for both instances.
      const budget = await (await admin(a, "POST", "/admin/keys", {
        name: "hana",
        daily_tokens: 50,
      })).json();
      assert.deepEqual(
        [
          await chat(a, budget.key),
          await chat(b, budget.key),
          await chat(a, budget.key),
          await chat(b, budget.key),
        ],
        [200, 200, 200, 429],
      );
      // A money budget of 30 a month: 20 an answer, counted once for both.
      const money = await (await admin(b, "POST", "/admin/keys", {
        name: "kate",
        monthly_budget: 30,
      })).json();
      assert.equal(await chat(a, money.key), 200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await chat(b, money.key), 200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await chat(a, money.key), 429);
      // One generation at once, across both.
      const single = await (await admin(a, "POST", "/admin/keys", {
        name: "ivan",
        max_concurrent: 1,
      })).json();
      a.fake.inject({ path: "/chat/completions", delayMs: 300 });
      const slow = chat(a, single.key);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await chat(b, single.key), 429);
      assert.equal(await slow, 200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await chat(b, single.key), 200, "given back once it ended");
    } finally {
      await b.close();
      await a.close();
      redis.kill("SIGTERM");
      await redis.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
