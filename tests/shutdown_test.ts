// Graceful shutdown of the real process: SIGTERM lets open streams finish, refuses new
// connections, ends what outlives SHUTDOWN_TIMEOUT_MS cleanly, and exits 0.
import assert from "node:assert/strict";
import { DEMO_KEY, FakeGigaChat } from "../fake_gigachat/server.ts";
import { killChild, portOf, spawnGateway, waitForLine } from "./helpers/child_gateway.ts";

async function withChild(
  fake: FakeGigaChat,
  env: Record<string, string>,
  body: (port: number, child: Deno.ChildProcess) => Promise<void>,
) {
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(`${cwd}/ca.pem`, fake.caPem);
  const child = spawnGateway(cwd, {
    PORT: "0",
    GIGACHAT_API_URL: fake.apiUrl,
    GIGACHAT_AUTH_URL: fake.authUrl,
    GIGACHAT_CA_FILE: "ca.pem",
    GIGACHAT_CREDENTIALS: DEMO_KEY,
    ...env,
  });
  try {
    const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
    rest.pipeTo(new WritableStream()).catch(() => {});
    await body(portOf(line), child);
  } finally {
    await killChild(child);
    await Deno.remove(cwd, { recursive: true });
  }
}

function startStream(port: number): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "GigaChat",
      stream: true,
      messages: [{ role: "user", content: "count" }],
    }),
  });
}

Deno.test("SIGTERM: an open stream completes intact, new connections are refused, exit 0", async () => {
  const fake = await FakeGigaChat.start({ chunkDelayMs: 100 });
  try {
    fake.scriptChat({ content: "", pieces: ["1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "7 ", "8"] });
    await withChild(fake, { SHUTDOWN_TIMEOUT_MS: "10000" }, async (port, child) => {
      const response = await startStream(port);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = (await reader.read()).value ?? "";
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(
        fetch(`http://127.0.0.1:${port}/health`),
        "a new connection after SIGTERM is refused",
      );
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      const content = text.split("\n").filter((l) => l.startsWith("data: {")).map((l) =>
        JSON.parse(l.slice(6)).choices[0]?.delta.content ?? ""
      ).join("");
      assert.equal(content, "1 2 3 4 5 6 7 8");
      assert.ok(text.endsWith("data: [DONE]\n\n"));
      assert.ok(!text.includes('"error"'));
      assert.equal((await child.status).code, 0);
    });
  } finally {
    await fake.close();
  }
});

Deno.test("SIGTERM: a stream still open after SHUTDOWN_TIMEOUT_MS gets an error event and [DONE]", async () => {
  const fake = await FakeGigaChat.start({ chunkDelayMs: 50 });
  try {
    fake.inject({ path: "/chat/completions", stallAfterEvents: 1 });
    await withChild(fake, { SHUTDOWN_TIMEOUT_MS: "300" }, async (port, child) => {
      const response = await startStream(port);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = (await reader.read()).value ?? "";
      child.kill("SIGTERM");
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      assert.match(text, /"code":"shutting_down"/);
      assert.ok(text.endsWith("data: [DONE]\n\n"));
      assert.equal((await child.status).code, 0);
    });
  } finally {
    await fake.close();
  }
});

Deno.test("SIGTERM with DRAIN_DELAY_MS: /ready says 503 at once, requests are still served, then the port closes", async () => {
  const fake = await FakeGigaChat.start();
  try {
    await withChild(fake, { DRAIN_DELAY_MS: "1500" }, async (port, child) => {
      const before = await fetch(`http://127.0.0.1:${port}/ready`);
      assert.equal(before.status, 200);
      await before.body?.cancel();
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const draining = await fetch(`http://127.0.0.1:${port}/ready`);
      assert.equal(draining.status, 503);
      assert.deepEqual(await draining.json(), { status: "draining" });
      // Still served while the load balancer moves away.
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: "GigaChat", messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(chat.status, 200);
      await chat.body?.cancel();
      assert.equal((await child.status).code, 0);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/ready`), "closed after the drain");
    });
  } finally {
    await fake.close();
  }
});

Deno.test("SIGTERM: a large answer still going out to a slow reader arrives whole", async () => {
  const fake = await FakeGigaChat.start();
  try {
    fake.scriptChat({ content: "x".repeat(8_000_000) });
    await withChild(fake, { SHUTDOWN_TIMEOUT_MS: "20000" }, async (port, child) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const body = JSON.stringify({
        model: "GigaChat",
        messages: [{ role: "user", content: "x" }],
      });
      await conn.write(new TextEncoder().encode(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ));
      const buffer = new Uint8Array(256 * 1024);
      let received = 0;
      let text = "";
      let signalled = false;
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        if (text.length < 4096) text += new TextDecoder().decode(buffer.subarray(0, n));
        received += n;
        if (!signalled && received > 1_000_000) {
          // The handler is done and the body handed over; the client is far from reading it.
          child.kill("SIGTERM");
          signalled = true;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      conn.close();
      const head = text.slice(0, text.indexOf("\r\n\r\n") + 4);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
      assert.ok(length > 8_000_000, head);
      assert.equal(received, head.length + length, "every byte arrived");
      assert.equal((await child.status).code, 0);
    });
  } finally {
    await fake.close();
  }
});
