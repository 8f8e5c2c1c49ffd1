// What a connection may cost the real process (issue #23, item 1): a flood past the open-files
// limit, idle and half-sent connections, a cap on open connections, streams past it. Each runs
// main.ts as a child, some under a low `ulimit -n`, and ends with the same process serving.
import assert from "node:assert/strict";
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import {
  fakeForChildren,
  killChild,
  portOf,
  spawnGateway,
  waitForLine,
} from "./helpers/child_gateway.ts";

interface Child {
  port: number;
  child: Deno.ChildProcess;
  /** Log lines read so far. */
  logs: string[];
}

async function withGateway(
  env: Record<string, string>,
  options: { openFiles?: number; chunkDelayMs?: number },
  body: (gateway: Child, fake: Awaited<ReturnType<typeof fakeForChildren>>) => Promise<void>,
): Promise<void> {
  const stack = await fakeForChildren({ chunkDelayMs: options.chunkDelayMs });
  const openFiles = options.openFiles;
  const child = spawnGateway(
    stack.dir,
    {
      ...stack.env,
      GIGACHAT_CREDENTIALS: DEMO_KEY,
      ...env,
    },
    [],
    { openFiles },
  );
  const logs: string[] = [];
  try {
    const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    rest.pipeTo(new WritableStream({ write: (text) => void logs.push(text) })).catch(() => {});
    await body({ port: portOf(line), child, logs }, stack);
  } finally {
    await killChild(child);
    await stack.close();
  }
}

/** Fails the test when the child has exited; a finished child has no port left. */
async function assertRunning(child: Deno.ChildProcess): Promise<void> {
  const ended = await Promise.race([
    child.status.then((status) => `exited with code ${status.code}`),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
  ]);
  assert.equal(ended, undefined, `the gateway ${ended}`);
}

async function health(port: number): Promise<number> {
  // A client of its own, so no pooled connection from an earlier phase is reused.
  const client = Deno.createHttpClient({});
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { client });
    await response.body?.cancel();
    return response.status;
  } finally {
    client.close();
  }
}

/** Reads until the server closes the connection; the time it took, or Infinity after `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<number> {
  const started = performance.now();
  const timer = setTimeout(() => conn.close(), ms);
  const buffer = new Uint8Array(4096);
  try {
    while (await conn.read(buffer) !== null) { /* the answer to a request sent, if any */ }
    return performance.now() - started;
  } catch {
    return Infinity;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
  }
}

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("connections: a flood past the open-files limit pauses accept, and the same process serves again", async () => {
  await withGateway({}, { openFiles: 256 }, async ({ port, child, logs }) => {
    const conns: Deno.Conn[] = [];
    for (let i = 0; i < 400; i++) {
      try {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch {
        break; // The listen queue is full: the flood has done its worst.
      }
    }
    assert.ok(conns.length > 256, `only ${conns.length} connections were opened`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await assertRunning(child);
    for (const conn of conns) conn.close();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await health(port).catch(() => 0);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200);
    await assertRunning(child);
    assert.ok(
      logs.some((line) =>
        line.includes("cannot accept connections") && line.includes("os error 24")
      ),
      "the pause is logged with its cause",
    );
  });
});

Deno.test("connections: a silent, a half-sent and an idle kept-alive connection are closed by the deadlines", async () => {
  await withGateway(
    { HEADERS_TIMEOUT_MS: "300", KEEP_ALIVE_TIMEOUT_MS: "600" },
    {},
    async ({ port }) => {
      const silent = await Deno.connect({ hostname: "127.0.0.1", port });
      const half = await Deno.connect({ hostname: "127.0.0.1", port });
      await half.write(encode("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
      const kept = await Deno.connect({ hostname: "127.0.0.1", port });
      await kept.write(encode("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      const [silentMs, halfMs, keptMs] = await Promise.all(
        [silent, half, kept].map((conn) => closedWithin(conn, 5000)),
      );
      // Closed, and not before their deadline (the sweep runs a quarter of it apart).
      assert.ok(silentMs >= 250 && silentMs < 5000, `silent: ${silentMs} ms`);
      assert.ok(halfMs >= 250 && halfMs < 5000, `half-sent: ${halfMs} ms`);
      assert.ok(keptMs >= 550 && keptMs < 5000, `kept-alive: ${keptMs} ms`);
    },
  );
});

Deno.test("connections: a stream longer than the idle limit is not cut", async () => {
  const options = { chunkDelayMs: 100 };
  await withGateway({ KEEP_ALIVE_TIMEOUT_MS: "200" }, options, async ({ port }, stack) => {
    stack.fake.scriptChat({ content: "", pieces: Array.from({ length: 12 }, (_, i) => `${i} `) });
    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "GigaChat",
        stream: true,
        messages: [{ role: "user", content: "count slowly" }],
      }),
    });
    const text = await response.text();
    assert.ok(text.endsWith("data: [DONE]\n\n"), text.slice(-200));
    assert.ok(!text.includes('"error"'));
  });
});

/** A connection whose request is running: its body is declared and never all sent. */
async function busyConnection(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encode(
    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
      `Authorization: Bearer ${DEMO_KEY}\r\nContent-Length: 1000\r\n\r\n{"model":`,
  ));
  return conn;
}

Deno.test("connections: past MAX_CONNECTIONS of busy ones a connection gets a JSON 503, and the rest are served", async () => {
  await withGateway({ MAX_CONNECTIONS: "5" }, {}, async ({ port, child }) => {
    const held = await Promise.all(Array.from({ length: 5 }, () => busyConnection(port)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = await Deno.connect({ hostname: "127.0.0.1", port });
    await extra.write(encode("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    const answer = new TextDecoder().decode(await readAll(extra));
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /retry-after: 1/i);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    assert.equal(body.error.code, "too_many_connections");
    assert.equal(body.error.type, "server_error");
    // Deno's own fetch sees the answer too: it is written after the request head.
    const client = Deno.createHttpClient({});
    const refused = await fetch(`http://127.0.0.1:${port}/health`, { client });
    assert.equal(refused.status, 503);
    await refused.body?.cancel();
    client.close();
    for (const conn of held) conn.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await health(port), 200);
    await assertRunning(child);
  });
});

Deno.test("connections: at MAX_CONNECTIONS the longest idle connection makes room for a newcomer", async () => {
  await withGateway({ MAX_CONNECTIONS: "5" }, {}, async ({ port }) => {
    // One client holds every connection, idle: it cannot lock others out.
    const idle = [];
    for (let i = 0; i < 5; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await health(port), 200);
    assert.ok(await closedWithin(idle[0], 2000) < 2000, "the oldest idle one was closed");
    for (const conn of idle.slice(1)) conn.close();
  });
});

Deno.test("connections: a burst of streams past the limit fails some requests, never the process", async () => {
  const options = { openFiles: 256, chunkDelayMs: 40 };
  await withGateway({ MAX_CONNECTIONS: "60" }, options, async ({ port, child }, stack) => {
    const pieces = Array.from({ length: 25 }, (_, i) => `${i} `);
    stack.fake.scriptChat(...Array.from({ length: 300 }, () => ({ content: "", pieces })));
    const client = Deno.createHttpClient({});
    const outcomes = await Promise.all(Array.from({ length: 300 }, async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          client,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            model: "GigaChat",
            stream: true,
            messages: [{ role: "user", content: "count" }],
          }),
        });
        const text = await response.text();
        return response.status === 200 && text.endsWith("data: [DONE]\n\n") ? "ok" : "refused";
      } catch {
        return "refused";
      }
    }));
    client.close();
    const ok = outcomes.filter((outcome) => outcome === "ok").length;
    assert.ok(ok > 0, "some streams were served");
    assert.ok(ok < 300, "some were refused");
    await assertRunning(child);
    assert.equal(await health(port), 200);
  });
});

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } catch {
    // Closed by the timer: what arrived is returned.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}
