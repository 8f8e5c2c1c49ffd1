// One cap per credential across instances (issue #27): two gateway processes share a real
// redis-server (Debian's package; .ci/run installs it) and a fake GigaChat that refuses with 429
// any chat beyond an account's cap. A burst through both never goes over, no client sees a 429,
// and a gateway killed mid-burst gives its slots back to the other.
import assert from "node:assert/strict";
import {
  fakeForChildren,
  killChild,
  portOf,
  spawnGateway,
  waitForLine,
} from "./helpers/child_gateway.ts";
import { freePort } from "./helpers/free_port.ts";
import { needs } from "./helpers/system_programs.ts";
import { PASSWORD, startRedis } from "./helpers/redis_server.ts";

const PROXY_KEY = "proxy-key-for-pool-redis";
const ALL = ["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"];
const POOL = [
  { name: "alpha", credentials: "key-alpha", concurrency: 1 },
  { name: "bravo", user: "anna", password: "pa:ss", concurrency: 1 },
  { name: "charlie", access_token: "token-charlie", concurrency: 2 },
];

interface Child {
  process: Deno.ChildProcess;
  origin: string;
  output: () => string;
}

async function startGateway(cwd: string, env: Record<string, string>): Promise<Child> {
  const process = spawnGateway(cwd, env);
  let output = "";
  const keep = (stream: ReadableStream<string>) =>
    stream.pipeTo(new WritableStream({ write: (line) => void (output += line + "\n") }))
      .catch(() => {});
  void keep(process.stderr.pipeThrough(new TextDecoderStream()));
  const { line, rest } = await waitForLine(process.stdout, (text) => {
    output += text + "\n";
    return text.includes('"listening"');
  });
  void keep(rest);
  return { process, origin: `http://127.0.0.1:${portOf(line)}`, output: () => output };
}

/** A streamed chat read to its end: its status, and whether the stream ended with [DONE]. */
async function streamChat(origin: string, i: number): Promise<{ status: number; done: boolean }> {
  try {
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${PROXY_KEY}` },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: `request ${i}, please answer` }],
        stream: true,
      }),
    });
    const text = await response.text();
    return { status: response.status, done: text.trimEnd().endsWith("data: [DONE]") };
  } catch {
    // The gateway was killed under it.
    return { status: 0, done: false };
  }
}

Deno.test({
  name:
    "REDIS_URL: two instances keep each credential's cap together; a killed one frees its slots",
  ignore: needs("redis-server").ignore,
  async fn() {
    const upstream = await fakeForChildren({
      keys: { "key-alpha": ALL },
      users: { anna: "pa:ss" },
      staticTokens: ["token-charlie"],
      caps: { "key-alpha": 1, "user:anna": 1, "token-charlie": 2 },
      chunkDelayMs: 25,
    });
    const redisPort = freePort();
    const redis = await startRedis(upstream.dir, redisPort);
    const env = {
      ...upstream.env,
      GIGACHAT_POOL: JSON.stringify(POOL),
      PROXY_API_KEYS: PROXY_KEY,
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redisPort}`,
      QUEUE_TIMEOUT_MS: "60000",
    };
    const a = await startGateway(upstream.dir, env);
    const b = await startGateway(upstream.dir, env);
    const { fake } = upstream;
    try {
      // 40 at once, half through each instance.
      const started = performance.now();
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) => streamChat(i % 2 === 0 ? a.origin : b.origin, i)),
      );
      const burstMs = performance.now() - started;
      assert.deepEqual(
        burst.filter((r) => r.status !== 200 || !r.done),
        [],
        "every client got a whole answer",
      );
      assert.equal(fake.capRefusals, 0, "GigaChat never refused one over a cap");
      assert.ok(fake.maxAnswering <= 4, `at most 4 at once, saw ${fake.maxAnswering}`);
      assert.deepEqual(
        Object.fromEntries(fake.maxActiveByAccount),
        { "key-alpha": 1, "user:anna": 1, "token-charlie": 2 },
      );
      // A freed slot is published: waiting on lease expiry instead (5 s) would take ten rounds.
      assert.ok(burstMs < 25_000, `the burst took ${Math.round(burstMs)} ms`);

      // A takes every slot with answers that stall, then dies holding them. B's clients wait
      // (GigaChat would refuse them) until A's leases expire, then all get answers.
      // (A client has its whole answer a moment before the gateway has GigaChat's.)
      while (fake.answering > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const before = fake.requestsTo("/chat/completions").length;
      fake.inject({ path: "/chat/completions", stallAfterEvents: 1, times: 4 });
      const stalled = Array.from({ length: 4 }, (_, i) => streamChat(a.origin, 100 + i));
      while (fake.requestsTo("/chat/completions").length < before + 4 || fake.answering < 4) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await killChild(a.process);
      const killedAt = performance.now();
      const throughB = await Promise.all(
        Array.from({ length: 8 }, (_, i) => streamChat(b.origin, 200 + i)),
      );
      const waitedMs = performance.now() - killedAt;
      assert.ok((await Promise.all(stalled)).every((r) => !r.done), "A's clients lost theirs");
      assert.deepEqual(
        throughB.filter((r) => r.status !== 200 || !r.done),
        [],
        "B's clients all answered",
      );
      assert.equal(fake.capRefusals, 0, "no 429 from GigaChat after the kill either");
      assert.ok(fake.maxAnswering <= 4);
      // Held until A's leases ran out (5 s unrenewed), not a moment longer than a few seconds.
      assert.ok(waitedMs > 2_000 && waitedMs < 15_000, `B waited ${Math.round(waitedMs)} ms`);

      // Redis gone: B counts the caps itself, says so, and goes on answering.
      redis.kill("SIGKILL");
      await redis.status;
      const alone = await streamChat(b.origin, 999);
      assert.deepEqual(alone, { status: 200, done: true });
      assert.match(b.output(), /credential caps counted per instance/);
      const metrics = await (await fetch(`${b.origin}/metrics`, {
        headers: { authorization: `Bearer ${PROXY_KEY}` },
      })).text();
      assert.match(metrics, /gigachat_gateway_pool_local_caps 1/);
      assert.doesNotMatch(a.output() + b.output(), /key-alpha|pa:ss|token-charlie/);
    } finally {
      await killChild(a.process);
      await killChild(b.process);
      try {
        redis.kill("SIGKILL");
      } catch {
        // Already stopped.
      }
      await redis.status;
      await upstream.close();
    }
  },
});
