import assert from "node:assert/strict";
import { denoCacheEnv } from "./helpers/deno_env.ts";
import { waitForLine } from "./helpers/child_gateway.ts";

Deno.test("installProcessGuard logs errors nobody caught, and the gateway keeps serving", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      new URL("./helpers/guarded_gateway.ts", import.meta.url).pathname,
    ],
    env: { ...denoCacheEnv() },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  try {
    const listening = await waitForLine(child.stdout, (line) => line.includes('"listening"'));
    const port = JSON.parse(listening.line).port;
    const reader = listening.rest.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the process ended; it logged ${JSON.stringify(lines)}`);
      const record = JSON.parse(value);
      if (record.msg === "provoked") break;
      lines.push(record);
    }
    reader.releaseLock();
    const errors = lines.filter((line) => line.level === "error");
    // Deno reports an unhandled rejection when it gets round to it, so the order may vary.
    assert.deepEqual(
      errors.map((line) => [line.msg, line.error]).sort(),
      [
        ["uncaught error", "Error: a throw in a timer"],
        ["uncaught error", "Error: a throw in an event callback"],
        ["uncaught error", "TypeError: The stream controller cannot close or enqueue"],
        ["unhandled rejection", "Error: a rejection nobody handles"],
      ].sort(),
    );
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});
