// The console over one real redis-server (Debian's package; .ci/run installs it): whichever
// instance the console reads, it sees the requests and the load of both, and its session is
// one for both (signed out on one, out on the other); with Redis gone, each shows its own
// traffic, says so, and logs it once, and sessions wait for Redis while the bearer token works.
import assert from "node:assert/strict";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";
import { freePort } from "./helpers/free_port.ts";
import { needs } from "./helpers/system_programs.ts";
import { PASSWORD, startRedis } from "./helpers/redis_server.ts";

const ADMIN = "history-admin-token-0123456789";

async function read(stack: Stack, path: string) {
  const response = await fetch(`${stack.origin}${path}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  assert.equal(response.status, 200, path);
  return await response.json();
}

function chat(stack: Stack, key: string, stream = false): Promise<Response> {
  return fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "GigaChat-2-Max",
      stream,
      messages: [{ role: "user", content: "Hi" }],
    }),
  });
}

/** Asks `check` again every 100 ms until it holds, for at most 8 s (instances write every 2 s). */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 8000;
  while (!await check()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test({
  name: "REDIS_URL: the console's requests, live figures and sessions are every instance's",
  ignore: needs("redis-server").ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const redisPort = freePort();
    const redis = await startRedis(dir, redisPort);
    const env = {
      GIGACHAT_CREDENTIALS: DEMO_KEY,
      ADMIN_TOKEN: ADMIN,
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redisPort}`,
    };
    const a = await startStack({ env });
    const b = await startStack({ env, sharedFake: a.fake });
    let redisUp = true;
    try {
      const made = await fetch(`${a.origin}/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "lena" }),
      });
      const key = (await made.json()).key;
      for (const stack of [a, a, b]) await (await chat(stack, key)).body?.cancel();
      const bad = await fetch(`${b.baseURL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: "{",
      });
      await bad.body?.cancel();

      // A's requests through B, B's through A.
      for (const stack of [a, b]) {
        await eventually("four requests listed by each", async () => {
          const listed = await read(stack, "/admin/requests?key=lena");
          return listed.scope === "all instances" && listed.data.length === 4;
        });
        await eventually("and counted in each one's live figures", async () => {
          const live = await read(stack, "/admin/live?minutes=1");
          const sum = (field: string) =>
            live.samples.reduce((n: number, s: Record<string, number>) => n + s[field], 0);
          return live.scope === "all instances" && sum("requests") === 4 && sum("errors") === 1;
        });
      }
      const [newest] = (await read(a, "/admin/requests?key=lena")).data;
      assert.equal(newest.status, 400, "newest first, across instances");

      // A stream open on A (GigaChat stalls it) shows in B's gauges.
      a.fake.inject({ path: "/chat/completions", stallAfterEvents: 1, times: 1 });
      const stream = await chat(a, key, true);
      await eventually("A's open stream seen through B", async () => {
        const live = await read(b, "/admin/live?minutes=1");
        return live.open_streams >= 1;
      });
      await stream.body?.cancel();

      // Signed in on A, the session opens B's admin API; signed out on B, A's too.
      const signIn = (stack: Stack) =>
        fetch(`${stack.origin}/console/session`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: stack.origin },
          body: JSON.stringify({ token: ADMIN }),
        });
      const session = (await signIn(a)).headers.get("set-cookie")!.split(";")[0];
      const withSession = async (stack: Stack) => {
        const response = await fetch(`${stack.origin}/admin/status`, {
          headers: { cookie: session },
        });
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await withSession(b), 200);
      const out = await fetch(`${b.origin}/console/session`, {
        method: "DELETE",
        headers: { cookie: session, origin: b.origin },
      });
      await out.body?.cancel();
      assert.equal(await withSession(a), 401);

      // A third instance's last request, made just before it stops, is written as it stops:
      // in the recent requests, and in the usage record.
      const used = async () =>
        (await read(b, "/admin/usage")).data.reduce(
          (n: number, row: { requests: number }) => n + row.requests,
          0,
        );
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const usedBefore = await used();
      const c = await startStack({ env, sharedFake: a.fake });
      const last = await fetch(`${c.baseURL}/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          "x-request-id": "last-before-stop",
        },
        body: JSON.stringify({
          model: "GigaChat-2-Max",
          messages: [{ role: "user", content: "Hi" }],
        }),
      });
      await last.body?.cancel();
      await c.close();
      const afterStop = await read(b, "/admin/requests");
      assert.equal(afterStop.data[0].request_id, "last-before-stop");
      assert.equal(await used(), usedBefore + 1);

      const kept = (await signIn(a)).headers.get("set-cookie")!.split(";")[0];
      // Redis gone: each shows its own, and says so; A logs it once.
      redis.kill("SIGKILL");
      await redis.status;
      redisUp = false;
      // (Keys are in Redis too: this one cannot be checked now.)
      const refused = await chat(a, key);
      assert.equal(refused.status, 503);
      await refused.body?.cancel();
      const alone = await read(a, "/admin/requests");
      assert.equal(alone.scope, "instance");
      assert.deepEqual(
        alone.data.map((r: { status: number }) => r.status),
        [503, 200, 200, 200],
        "A's two, its stream and the refused one",
      );
      assert.equal((await read(b, "/admin/live?minutes=1")).scope, "instance");
      // Sessions cannot be checked or made; the bearer token still opens everything.
      const noSession = await signIn(b);
      assert.equal(noSession.status, 503);
      assert.equal((await noSession.json()).error.code, "shared_store_unavailable");
      assert.equal((await read(b, "/admin/status")).console_sessions, null);
      // Signing out then still clears the browser's cookie, and says the session lives on.
      const outNow = await fetch(`${a.origin}/console/session`, {
        method: "DELETE",
        headers: { cookie: kept, origin: a.origin },
      });
      assert.equal(outNow.status, 503);
      assert.match(outNow.headers.get("set-cookie")!, /gateway_console=; Path=\/; Max-Age=0/);
      assert.match((await outNow.json()).error.message, /could not be ended/);
      assert.equal(await withSession(a), 503, "a cookie that cannot be checked opens nothing");
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const logged = a.logs.filter((line) => line.includes("recent requests not written"));
      assert.equal(logged.length, 1, logged.join("\n"));
    } finally {
      await b.close();
      await a.close();
      if (redisUp) {
        redis.kill("SIGKILL");
        await redis.status;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
