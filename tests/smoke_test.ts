// deploy/smoke.ts is what the release workflow runs on the compiled binary, which cannot be
// built here; running it on `deno run main.ts` proves the checks themselves work.
import assert from "node:assert/strict";
import { V8_FLAGS } from "../deploy/compile.ts";
import { runSmoke } from "../deploy/smoke.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("deploy/smoke.ts passes on the gateway as deno task start runs it", async () => {
  const { checks } = await runSmoke(Deno.execPath(), [
    "run",
    "--config",
    new URL("deno.json", ROOT).pathname,
    V8_FLAGS,
    "--allow-net",
    "--allow-env",
    "--allow-read=.",
    new URL("main.ts", ROOT).pathname,
  ]);
  assert.deepEqual(checks.filter((check) => !check.ok), []);
  assert.deepEqual(checks.map((check) => check.name), [
    "starts and answers /health",
    "chat",
    "stream",
    "structured output (ajv)",
    "image URL (node:http)",
    "shared store down (@redis/client)",
    "--check-ready (the container's health check)",
    "stops on SIGTERM with exit code 0",
  ]);
});

Deno.test("deploy/smoke.ts fails a program that only answers /health", async () => {
  const { checks } = await runSmoke(Deno.execPath(), [
    "eval",
    "Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT')), onListen() {} }, " +
    "() => new Response('ok'))",
  ]);
  const outcome = Object.fromEntries(checks.map((check) => [check.name, check.ok]));
  assert.equal(outcome["starts and answers /health"], true);
  for (
    const name of [
      "chat",
      "stream",
      "structured output (ajv)",
      "image URL (node:http)",
      "shared store down (@redis/client)",
    ]
  ) {
    assert.equal(outcome[name], false, name);
  }
});
