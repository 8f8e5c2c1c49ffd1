// `deno task demo` as a newcomer runs it: the task's own command line, in a child process.
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { waitForLine } from "./helpers/child_gateway.ts";
import { denoCacheEnv } from "./helpers/deno_env.ts";
import { freePort } from "./helpers/free_port.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Starts the demo task's command (`deno run ...`) with PORT and a TMPDIR of the test's own. */
function startDemo(port: number, tmp: string): Deno.ChildProcess {
  const [command, ...args] = denoJson.tasks.demo.split(" ");
  assert.equal(command, "deno");
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { ...denoCacheEnv(), PORT: String(port), TMPDIR: tmp },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function emptyDir(path: string): Promise<boolean> {
  for await (const _ of Deno.readDir(path)) return false;
  return true;
}

Deno.test("deno task demo answers chat and a tool call, logs each request, and cleans up", async () => {
  const tmp = await Deno.makeTempDir();
  const port = freePort();
  const demo = startDemo(port, tmp);
  try {
    const ready = await waitForLine(demo.stdout, (line) => line.includes("JavaScript (npm"));
    const base = `http://127.0.0.1:${port}/v1`;
    const chat = await fetch(`${base}/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Привет!" }],
      }),
    });
    assert.equal(chat.status, 200);
    assert.match((await chat.json()).choices[0].message.content, /simulated/);
    // The banner's tool-call example, as written there.
    const tool = await fetch(`${base}/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Weather in Moscow?" }],
        tools: [{
          type: "function",
          function: {
            name: "get_weather",
            parameters: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
            },
          },
        }],
        tool_choice: "required",
      }),
    });
    const called = await tool.json();
    assert.equal(called.choices[0].finish_reason, "tool_calls");
    assert.equal(called.choices[0].message.tool_calls[0].function.name, "get_weather");
    const reader = ready.rest.getReader();
    const logged: string[] = [];
    while (logged.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.includes('"msg":"request"')) logged.push(value);
    }
    reader.releaseLock();
    assert.equal(logged.length, 2, "one info line per request");
    assert.match(logged[0], /"level":"info".*"status":200/);
    demo.kill("SIGTERM");
    assert.equal((await demo.status).code, 0);
    assert.ok(await emptyDir(tmp), "the temporary CA file is gone");
  } finally {
    try {
      demo.kill("SIGKILL");
    } catch {
      // Already stopped.
    }
    await demo.status;
    await demo.stderr.cancel().catch(() => {});
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno task demo on a busy port says so in one line and leaves no file behind", async () => {
  const tmp = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const demo = startDemo(busy.addr.port, tmp);
    const { code, stderr, stdout } = await demo.output();
    const errors = new TextDecoder().decode(stderr).trim();
    assert.equal(code, 1);
    assert.equal(
      errors,
      "demo: cannot listen: the address is already in use (set PORT, e.g. PORT=8090 deno task demo)",
    );
    assert.doesNotMatch(new TextDecoder().decode(stdout), /Uncaught|at /);
    assert.ok(await emptyDir(tmp), "the temporary CA file is gone");
  } finally {
    busy.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
