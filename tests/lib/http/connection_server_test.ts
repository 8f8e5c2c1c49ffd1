import assert from "node:assert/strict";
import {
  denoServeOnConnection,
  serveConnections,
  type ServeOnConnection,
} from "../../../lib/http/connection_server.ts";
import { listenGateway } from "../../../lib/http/listen_gateway.ts";
import { loadConfig } from "../../../lib/config.ts";
import { Logger } from "../../../lib/log.ts";
import { freePort } from "../../helpers/free_port.ts";

const serveOn = denoServeOnConnection() as ServeOnConnection;
const limits = { maxConnections: 100, headTimeoutMs: 5000, idleTimeoutMs: 5000 };
const hello = () => new Response("hello");

function logger(lines: Record<string, unknown>[]): Logger {
  return new Logger({ level: "debug", sink: (line) => void lines.push(JSON.parse(line)) });
}

/** A listener whose accept fails as a broken socket does (EBADF), on `port`. */
function brokenListener(port: number): Deno.Listener {
  return {
    addr: { transport: "tcp", hostname: "127.0.0.1", port },
    accept: () => Promise.reject(new Error("Bad file descriptor (os error 9)")),
    close: () => {},
  } as unknown as Deno.Listener;
}

Deno.test("serveConnections: this Deno has the per-connection server it is built on", () => {
  assert.equal(typeof denoServeOnConnection(), "function");
});

Deno.test("serveConnections: a listener that breaks is replaced on the same port", async () => {
  const port = freePort();
  const lines: Record<string, unknown>[] = [];
  let listens = 0;
  const server = serveConnections(
    {
      hostname: "127.0.0.1",
      port,
      limits,
      log: logger(lines),
      listen: (address) => ++listens === 1 ? brokenListener(port) : Deno.listen(address),
    },
    hello,
    serveOn,
  );
  try {
    for (let i = 0; i < 100 && listens < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const client = Deno.createHttpClient({});
    const response = await fetch(`http://127.0.0.1:${port}/`, { client });
    assert.equal(await response.text(), "hello");
    client.close();
    assert.equal(listens, 2);
    assert.ok(lines.some((line) => line.msg === "listener failed; listening again"));
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveConnections: a port that cannot be taken again ends `finished` with the error", async () => {
  const port = freePort();
  let listens = 0;
  const server = serveConnections(
    {
      hostname: "127.0.0.1",
      port,
      limits,
      log: logger([]),
      listen: () => {
        if (++listens === 1) return brokenListener(port);
        throw new Deno.errors.AddrInUse("Address already in use (os error 98)");
      },
    },
    hello,
    serveOn,
  );
  await assert.rejects(server.finished, /Bad file descriptor/);
  assert.ok(listens > 2, `tried ${listens} times`);
});

Deno.test("serveConnections: an accept that runs out of descriptors waits and goes on", async () => {
  const port = freePort();
  const lines: Record<string, unknown>[] = [];
  let failures = 3;
  const server = serveConnections(
    {
      hostname: "127.0.0.1",
      port,
      limits,
      log: logger(lines),
      listen: (address) => {
        const real = Deno.listen(address);
        return {
          addr: real.addr,
          accept: () =>
            failures-- > 0
              ? Promise.reject(new Error("Too many open files (os error 24)"))
              : real.accept(),
          close: () => real.close(),
        } as unknown as Deno.Listener;
      },
    },
    hello,
    serveOn,
  );
  try {
    const client = Deno.createHttpClient({});
    const response = await fetch(`http://127.0.0.1:${port}/`, { client });
    assert.equal(await response.text(), "hello");
    client.close();
    assert.deepEqual(
      lines.map((line) => line.msg),
      ["cannot accept connections; retrying", "accepting connections again"],
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("listenGateway: without the per-connection server it still serves, through Deno.serve", async () => {
  const config = loadConfig({ PORT: "0" });
  const lines: Record<string, unknown>[] = [];
  let listened: Deno.NetAddr | undefined;
  const server = listenGateway(
    config,
    () => Promise.resolve(new Response("fallback")),
    logger(lines),
    (addr) => listened = addr,
    null,
  );
  try {
    assert.equal(listened?.port, server.addr.port);
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(await response.text(), "fallback");
    assert.match(String(lines[0]?.msg), /connection limits are off/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveConnections: a listener that breaks during shutdown is not opened again", async () => {
  const port = freePort();
  let listens = 0;
  const server = serveConnections(
    {
      hostname: "127.0.0.1",
      port,
      limits,
      log: logger([]),
      listen: (address) => ++listens === 1 ? brokenListener(port) : Deno.listen(address),
    },
    hello,
    serveOn,
  );
  await server.shutdown();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(listens, 1);
  // The port is free: nobody holds it.
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("serveConnections: with every connection busy at the cap, a newcomer gets a 503 Deno's fetch reads", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const server = serveConnections({
    hostname: "127.0.0.1",
    port: 0,
    limits: { ...limits, maxConnections: 2 },
    log: logger([]),
  }, async () => {
    await held;
    return new Response("done");
  }, serveOn);
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const clients = [0, 1, 2].map(() => Deno.createHttpClient({}));
    const running = clients.slice(0, 2).map((client) => fetch(url, { client }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await fetch(url, { client: clients[2] });
    assert.equal(refused.status, 503);
    assert.equal((await refused.json()).error.code, "too_many_connections");
    release();
    for (const response of await Promise.all(running)) assert.equal(await response.text(), "done");
    for (const client of clients) client.close();
  } finally {
    await server.shutdown();
  }
});
