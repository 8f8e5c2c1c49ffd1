// Many instances (issue #16): two gateway processes share one real redis-server (Debian's
// package; .ci/run installs it), started here on a loopback port in a temporary folder.
// A Responses conversation alternates between them, an image is uploaded once for both, and
// stopping Redis leaves plain requests working while stored-response requests get a 503.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import { fakeForChildren, portOf, spawnGateway, waitForLine } from "./helpers/child_gateway.ts";
import { freePort } from "./helpers/free_port.ts";
import { onV1 } from "./helpers/stack.ts";
import { needs } from "./helpers/system_programs.ts";
import { PASSWORD, startRedis } from "./helpers/redis_server.ts";

/** A gateway child with its whole output kept, to check that no secret reaches it. */
async function startGateway(cwd: string, env: Record<string, string>) {
  const child = spawnGateway(cwd, env);
  let output = "";
  const keep = (stream: ReadableStream<string>) =>
    stream.pipeTo(new WritableStream({ write: (line) => void (output += line + "\n") }))
      .catch(() => {});
  const stderr = child.stderr.pipeThrough(new TextDecoderStream());
  const stderrDone = keep(stderr);
  const { line, rest } = await waitForLine(child.stdout, (text) => {
    output += text + "\n";
    return text.includes('"listening"');
  });
  const stdoutDone = keep(rest);
  return {
    baseURL: `http://127.0.0.1:${portOf(line)}/v1`,
    output: () => output,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
      await Promise.all([stdoutDone, stderrDone]);
    },
  };
}

function png(seed: number): string {
  const bytes = new Uint8Array(64);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  bytes.fill(seed, 8);
  return `data:image/png;base64,${btoa(String.fromCharCode(...bytes))}`;
}

function imageChat(ai: OpenAI, seed: number) {
  return ai.chat.completions.create({
    model: "GigaChat-2-Max",
    messages: [{
      role: "user",
      content: [{ type: "text", text: "What is it?" }, {
        type: "image_url",
        image_url: { url: png(seed) },
      }],
    }],
  });
}

async function post(baseURL: string, path: string, body: object): Promise<Response> {
  return await fetch(baseURL + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${DEMO_KEY}` },
    body: JSON.stringify(body),
  });
}

Deno.test({
  name:
    "REDIS_URL: two instances share stored responses and uploads; Redis down is a 503 only where it is needed",
  ignore: onV1.ignore || needs("redis-server").ignore,
  async fn() {
    const upstream = await fakeForChildren();
    const { fake, dir } = upstream;
    const redisPort = freePort();
    let redis = await startRedis(dir, redisPort);
    const env = { ...upstream.env, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redisPort}` };
    const a = await startGateway(dir, env);
    const b = await startGateway(dir, env);
    try {
      const onA = new OpenAI({ apiKey: DEMO_KEY, baseURL: a.baseURL, maxRetries: 0 });
      const onB = new OpenAI({ apiKey: DEMO_KEY, baseURL: b.baseURL, maxRetries: 0 });

      // A conversation that moves between the instances on every turn, streamed turns included.
      const first = await onA.responses.create({
        model: "GigaChat-2-Max",
        input: "Меня зовут Аня.",
      });
      const second = await onB.responses.create({
        model: "GigaChat-2-Max",
        input: "Как меня зовут?",
        previous_response_id: first.id,
      });
      let thirdId = "";
      for await (
        const event of await onA.responses.create({
          model: "GigaChat-2-Max",
          input: "А ещё?",
          previous_response_id: second.id,
          stream: true,
        })
      ) {
        if (event.type === "response.completed") thirdId = event.response.id;
      }
      // Asked of the other instance the moment the stream said it was complete.
      const fourth = await onB.responses.create({
        model: "GigaChat-2-Max",
        input: "Спасибо.",
        previous_response_id: thirdId,
      });
      const sent = fake.chatBodies().at(-1)!.messages as { role: string; content: string }[];
      assert.deepEqual(sent.map((m) => m.role), [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
      ]);
      assert.equal(sent[0].content, "Меня зовут Аня.");
      assert.equal(sent[1].content, first.output_text);
      assert.equal((await onA.responses.retrieve(fourth.id)).id, fourth.id);
      await onA.responses.delete(fourth.id);
      await assert.rejects(onB.responses.retrieve(fourth.id), OpenAI.NotFoundError);

      // One image, two instances, one upload.
      await imageChat(onA, 1);
      await imageChat(onB, 1);
      assert.equal(fake.files.uploads.length, 1, "the second instance found the first's upload");

      // Redis stops.
      redis.kill("SIGKILL");
      await redis.status;
      const plain = await onA.chat.completions.create({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Привет" }],
      });
      assert.ok(plain.choices[0].message.content);
      await imageChat(onB, 2);
      assert.equal(fake.files.uploads.length, 2, "the upload cache is a saving, not a need");
      const unstored = await onB.responses.create({ model: "GigaChat-2-Max", input: "Привет" });
      assert.ok(unstored.output_text, "a new response is answered though it cannot be stored");
      const continued = await post(b.baseURL, "/responses", {
        model: "GigaChat-2-Max",
        input: "Дальше",
        previous_response_id: second.id,
      });
      assert.equal(continued.status, 503);
      const problem = await continued.json();
      assert.equal(problem.error.code, "shared_store_unavailable");
      assert.equal(problem.error.type, "server_error");
      const retrieved = await fetch(`${a.baseURL}/responses/${second.id}`, {
        headers: { Authorization: `Bearer ${DEMO_KEY}` },
      });
      assert.equal(retrieved.status, 503);
      await retrieved.body?.cancel();

      // Redis is back (empty: it keeps nothing on disk): the gateways reconnect by themselves.
      redis = await startRedis(dir, redisPort);
      const deadline = Date.now() + 15_000;
      let status = 503;
      while (status === 503 && Date.now() < deadline) {
        const again = await fetch(`${a.baseURL}/responses/${second.id}`, {
          headers: { Authorization: `Bearer ${DEMO_KEY}` },
        });
        status = again.status;
        await again.body?.cancel();
        if (status === 503) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(status, 404, "reconnected: the lost response is simply not there");

      const logs = a.output() + b.output();
      assert.ok(!logs.includes(PASSWORD), "the Redis password is never logged");
      assert.ok(!logs.includes(DEMO_KEY), "no key is logged");
      assert.match(logs, /shared store unreachable/);
    } finally {
      await a.stop();
      await b.stop();
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

Deno.test({
  name:
    "REDIS_URL at a port where nothing listens: the gateway starts and serves what needs no store",
  ...onV1,
  async fn() {
    const upstream = await fakeForChildren();
    const gateway = await startGateway(upstream.dir, {
      ...upstream.env,
      REDIS_URL: `redis://127.0.0.1:${freePort()}`,
    });
    try {
      const chat = await post(gateway.baseURL, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Привет" }],
      });
      assert.equal(chat.status, 200);
      await chat.body?.cancel();
      const continued = await post(gateway.baseURL, "/responses", {
        model: "GigaChat-2-Max",
        input: "Дальше",
        previous_response_id: "resp_1",
      });
      assert.equal(continued.status, 503);
      assert.equal((await continued.json()).error.code, "shared_store_unavailable");
      assert.match(gateway.output(), /starting without the shared store/);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  },
});

/**
 * A TCP relay to `port` whose first connection is accepted and never answered: a Redis that
 * hangs in the handshake. Later connections reach the real server.
 */
function stallFirstConnection(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  let connections = 0;
  const relay = async (conn: Deno.Conn) => {
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(conn.writable),
    ]);
  };
  (async () => {
    for await (const conn of listener) {
      if (connections++ === 0) held.push(conn);
      else relay(conn).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    connections: () => connections,
    close() {
      for (const conn of held) conn.close();
      listener.close();
    },
  };
}

Deno.test({
  name:
    "REDIS_URL: a Redis that hangs or stops answering costs one wait, then the gateway recovers",
  ignore: onV1.ignore || needs("redis-server").ignore,
  async fn() {
    const upstream = await fakeForChildren();
    const redisPort = freePort();
    const redis = await startRedis(upstream.dir, redisPort);
    const relay = stallFirstConnection(redisPort);
    const gateway = await startGateway(upstream.dir, {
      ...upstream.env,
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${relay.port}`,
    });
    const ai = new OpenAI({ apiKey: DEMO_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
    const timed = async (run: () => Promise<Response>) => {
      const started = performance.now();
      const response = await run();
      const body = await response.text();
      return { status: response.status, body, ms: performance.now() - started };
    };
    const continueFrom = (id: string) =>
      timed(() =>
        post(gateway.baseURL, "/responses", {
          model: "GigaChat-2-Max",
          input: "Дальше",
          previous_response_id: id,
        })
      );
    try {
      // The first connection hangs in its handshake: 503s at once, then a new connection.
      const early = await continueFrom("resp_1");
      assert.equal(early.status, 503);
      assert.ok(early.ms < 1000, `no wait on a connection that is not ready (${early.ms} ms)`);
      let first: OpenAI.Responses.Response | undefined;
      const deadline = Date.now() + 20_000;
      while (first === undefined && Date.now() < deadline) {
        const attempt = await ai.responses.create({ model: "GigaChat-2-Max", input: "Привет" });
        if ((await continueFrom(attempt.id)).status === 200) first = attempt;
        else await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(first, "a new connection replaced the one that hung");
      assert.ok(relay.connections() >= 2);

      // Redis stops answering (SIGSTOP): the first request waits COMMAND_TIMEOUT_MS, the next
      // ones fail at once for a while, and a request with two images waits at most once.
      redis.kill("SIGSTOP");
      const stalled = await continueFrom(first.id);
      assert.equal(stalled.status, 503);
      assert.ok(stalled.ms >= 1500 && stalled.ms < 4000, `one wait (${stalled.ms} ms)`);
      const next = await continueFrom(first.id);
      assert.equal(next.status, 503);
      assert.ok(next.ms < 1000, `then no wait (${next.ms} ms)`);
      const images = await timed(() =>
        post(gateway.baseURL, "/chat/completions", {
          model: "GigaChat-2-Max",
          messages: [3, 4].map((seed) => ({
            role: "user",
            content: [{ type: "text", text: "Что это?" }, {
              type: "image_url",
              image_url: { url: png(seed) },
            }],
          })),
        })
      );
      assert.equal(images.status, 200, images.body);
      assert.ok(images.ms < 3000, `two images, at most one wait (${images.ms} ms)`);

      redis.kill("SIGCONT");
      const back = Date.now() + 20_000;
      let status = 503;
      while (status !== 200 && Date.now() < back) {
        status = (await continueFrom(first.id)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.equal(status, 200, "answering again once Redis is");
      assert.ok(!gateway.output().includes(PASSWORD));
    } finally {
      await gateway.stop();
      relay.close();
      try {
        redis.kill("SIGCONT");
        redis.kill("SIGKILL");
      } catch {
        // Already stopped.
      }
      await redis.status;
      await upstream.close();
    }
  },
});
