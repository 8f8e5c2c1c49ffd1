// deploy/container/haproxy.cfg as shipped, in front of two gateway processes on loopback:
// only the bind address and the server lines (compose resolves `gateway` by Docker's DNS)
// are rewritten. A replica that gets SIGTERM says 503 on /ready for DRAIN_DELAY_MS while
// still serving; HAProxy's check takes it out before it closes, so no client sees an error.
import assert from "node:assert/strict";
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import { fakeForChildren, portOf, spawnGateway, waitForLine } from "./helpers/child_gateway.ts";
import { freePort } from "./helpers/free_port.ts";
import { onV1 } from "./helpers/stack.ts";
import { needs } from "./helpers/system_programs.ts";

const CONFIG = new URL("../deploy/container/haproxy.cfg", import.meta.url);

/** The shipped config for loopback: same checks and timeouts, other addresses. */
function loopbackConfig(shipped: string, port: number, replicas: number[]): string {
  const lines = shipped.split("\n");
  const bind = lines.findIndex((line) => line.trim().startsWith("bind "));
  const template = lines.findIndex((line) => line.trim().startsWith("server-template "));
  assert.ok(bind > 0 && template > 0, "haproxy.cfg has a bind and a server-template line");
  lines[bind] = `  bind 127.0.0.1:${port}`;
  lines.splice(
    template,
    1,
    ...replicas.map((replica, i) => `  server gateway${i + 1} 127.0.0.1:${replica}`),
  );
  // Docker's DNS is not here, and no server uses it now.
  return lines.join("\n").replace(/\nresolvers docker\n(?: {2}.*\n)+/, "\n");
}

async function startReplica(cwd: string, env: Record<string, string>) {
  const child = spawnGateway(cwd, env);
  const { line, rest } = await waitForLine(child.stdout, (text) => text.includes('"listening"'));
  let served = 0;
  let lastServedAt = 0;
  const counted = rest.pipeTo(
    new WritableStream({
      write(text) {
        if (text.includes('"msg":"request"') && text.includes("/v1/chat/completions")) {
          served++;
          lastServedAt = Date.now();
        }
      },
    }),
  ).catch(() => {});
  return {
    child,
    port: portOf(line),
    served: () => served,
    lastServedAt: () => lastServedAt,
    async stopped() {
      const status = await child.status;
      await counted;
      await child.stderr.cancel().catch(() => {});
      return status;
    },
  };
}

async function chat(base: string, stream = false): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${DEMO_KEY}` },
    body: JSON.stringify({
      model: "GigaChat-2-Max",
      stream,
      messages: [{ role: "user", content: "Привет" }],
    }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, text: await response.text() };
}

Deno.test({
  name:
    "haproxy.cfg: a draining replica is taken out by its /ready before it closes; no request fails",
  ignore: onV1.ignore || needs("haproxy").ignore,
  async fn() {
    const upstream = await fakeForChildren();
    const { dir } = upstream;
    // As compose.yaml sets it: time for two failed checks 1 s apart.
    const env = { ...upstream.env, DRAIN_DELAY_MS: "5000" };
    const a = await startReplica(dir, env);
    const b = await startReplica(dir, env);
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/haproxy.cfg`,
      loopbackConfig(await Deno.readTextFile(CONFIG), port, [a.port, b.port]),
    );
    let proxy: Deno.ChildProcess | undefined;
    const base = `http://127.0.0.1:${port}`;
    try {
      try {
        proxy = new Deno.Command("haproxy", {
          args: ["-db", "-f", `${dir}/haproxy.cfg`],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
      } catch (error) {
        throw new Error(`haproxy is needed (apt-get install haproxy; .ci/run does): ${error}`);
      }
      // Both replicas in service (rise 2: two good checks 1 s apart).
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (a.served() === 0 || b.served() === 0)) {
        await chat(base).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(a.served() > 0 && b.served() > 0, "both replicas take requests");
      const streamed = await chat(base, true);
      assert.equal(streamed.status, 200);
      assert.ok(streamed.text.trimEnd().endsWith("data: [DONE]"), "a stream passes through");

      // Steady traffic from four clients while replica A drains and stops.
      const failures: string[] = [];
      let sent = 0;
      let running = true;
      const client = async () => {
        while (running) {
          sent++;
          try {
            const { status, text } = await chat(base);
            if (status !== 200) failures.push(`${status}: ${text.slice(0, 200)}`);
          } catch (error) {
            failures.push(String(error));
          }
        }
      };
      const clients = Array.from({ length: 4 }, client);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = Date.now();
      a.child.kill("SIGTERM");
      const status = await a.stopped();
      const closedAfter = Date.now() - signalled;
      const servedByB = b.served();
      await new Promise((resolve) => setTimeout(resolve, 500));
      running = false;
      await Promise.all(clients);
      assert.equal(status.code, 0);
      assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
      assert.ok(sent > 40, `steady traffic (${sent} requests)`);
      assert.ok(b.served() > servedByB, "the other replica went on serving");
      // Taken out by its /ready while it still listened, not by its port closing.
      const lastAfter = a.lastServedAt() - signalled;
      assert.ok(closedAfter >= 4500, `A listened through DRAIN_DELAY_MS (${closedAfter} ms)`);
      assert.ok(
        lastAfter < closedAfter - 1000,
        `A's last request (${lastAfter} ms after SIGTERM) came well before it closed`,
      );
    } finally {
      for (const replica of [a, b]) {
        try {
          replica.child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
        await replica.stopped();
      }
      try {
        proxy?.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await proxy?.status;
      await proxy?.stderr.cancel().catch(() => {});
      await upstream.close();
    }
  },
});
