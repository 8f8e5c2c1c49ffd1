// `deno task demo` as a newcomer runs it: the task's own command line, in a child process.
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { waitForLine } from "./helpers/child_gateway.ts";
import { denoCacheEnv } from "./helpers/deno_env.ts";
import { freePort } from "./helpers/free_port.ts";
import {
  CLAUDE_CODE_QUIET_ENV,
  installClaudeCode,
  installCodex,
  installGeminiCli,
} from "./helpers/agent_clis.ts";
import { AGENT_PROMPT, agentCommands, shellLine } from "../fake_gigachat/demo_agents.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Starts the demo task's command (`deno run ...`) with PORT and a TMPDIR of the test's own. */
function startDemo(
  port: number,
  tmp: string,
  settings: Record<string, string> = {},
): Deno.ChildProcess {
  const [command, ...args] = denoJson.tasks.demo.command.split(" ");
  assert.equal(command, "deno");
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { ...denoCacheEnv(), ...settings, PORT: String(port), TMPDIR: tmp },
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

/** Stops a demo that may still be running, and removes its folder. */
async function stopDemo(demo: Deno.ChildProcess, tmp: string): Promise<void> {
  demo.kill("SIGTERM");
  await demo.status;
  await demo.stderr.cancel().catch(() => {});
  await Deno.remove(tmp, { recursive: true });
}

Deno.test("deno task demo answers chat and a tool call, logs each request, and cleans up", async () => {
  const tmp = await Deno.makeTempDir();
  const port = freePort();
  const demo = startDemo(port, tmp);
  try {
    const ready = await waitForLine(demo.stdout, (line) => line.includes("Settings from the"));
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

/** The next line of `lines` that `want` accepts. */
async function nextLine(lines: ReadableStream<string>, want: (line: string) => boolean) {
  const reader = lines.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the demo's output ended");
      if (want(value)) return value;
    }
  } finally {
    reader.releaseLock();
  }
}

Deno.test("deno task demo honours the gateway's settings and names those it overrides", async () => {
  const tmp = await Deno.makeTempDir();
  const port = freePort();
  const demo = startDemo(port, tmp, {
    MODEL_ALIASES: '{"my-model":"GigaChat-2-Max"}',
    GIGACHAT_CREDENTIALS: "not-a-real-key",
    PROXY_API_KEYS: "sk-nobody",
  });
  try {
    const { line, rest } = await waitForLine(demo.stdout, (line) => line.includes("Settings"));
    assert.match(line, /in use: .*MODEL_ALIASES/);
    assert.doesNotMatch(line, /GIGACHAT_CREDENTIALS/);
    const ignored = await nextLine(rest, (line) => line.includes("Ignored by the demo"));
    assert.match(ignored, /GIGACHAT_CREDENTIALS, PROXY_API_KEYS$/);
    const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "my-model", messages: [{ role: "user", content: "Hi" }] }),
    });
    const body = await chat.json();
    assert.equal(chat.status, 200, JSON.stringify(body));
    assert.equal(body.model, "my-model", "the alias served the request");
    await rest.cancel();
  } finally {
    await stopDemo(demo, tmp);
  }
});

Deno.test("deno task demo with ADMIN_TOKEN names its console, which signs in with that token", async () => {
  const tmp = await Deno.makeTempDir();
  const port = freePort();
  const token = "demo-admin-token-0123456789";
  const demo = startDemo(port, tmp, { ADMIN_TOKEN: token, DATA_DIR: ":memory:" });
  try {
    const origin = `http://127.0.0.1:${port}`;
    const { line, rest } = await waitForLine(demo.stdout, (line) => line.includes("Console:"));
    assert.match(line, new RegExp(`Console: ${origin}/console .*ADMIN_TOKEN`));
    await rest.cancel();
    const signIn = await fetch(`${origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ token }),
    });
    assert.equal(signIn.status, 200);
    await signIn.body?.cancel();
    // With it set, a client needs a key (as the banner says).
    const chat = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    assert.equal(chat.status, 401);
    await chat.body?.cancel();
  } finally {
    await stopDemo(demo, tmp);
  }
});

Deno.test("the demo's printed agent commands run a shell tool offline", async () => {
  const installs = {
    codex: await installCodex(),
    claude: await installClaudeCode(),
    gemini: await installGeminiCli(),
  };
  const tmp = await Deno.makeTempDir();
  const home = await Deno.makeTempDir({ prefix: "gigachat-gateway-demo-agent-" });
  const port = freePort();
  // The test suite's backend (v2 in CI's second pass): the demo honours GIGACHAT_BACKEND.
  const demo = startDemo(port, tmp, {
    GIGACHAT_BACKEND: Deno.env.get("GATEWAY_TEST_BACKEND") ?? "v1",
  });
  try {
    const commands = agentCommands(`http://127.0.0.1:${port}`);
    const first = await waitForLine(demo.stdout, (line) => line.trim() === shellLine(commands[0]));
    for (const command of commands.slice(1)) {
      await nextLine(first.rest, (line) => line.trim() === shellLine(command));
    }
    for (const command of commands) {
      const bin = join(installs[command.program as keyof typeof installs], "node_modules/.bin");
      if (command.setup) {
        const setup = await new Deno.Command("bash", {
          args: ["-c", command.setup],
          env: { PATH: Deno.env.get("PATH") ?? "", HOME: home },
          clearEnv: true,
        }).output();
        assert.equal(setup.code, 0, `${command.title}: ${command.setup}`);
      }
      const output = await new Deno.Command(join(bin, command.program), {
        args: command.args,
        cwd: home,
        env: {
          ...command.env,
          PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
          HOME: home,
          CODEX_HOME: home,
          ...CLAUDE_CODE_QUIET_ENV,
        },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(120_000),
      }).output();
      const stdout = new TextDecoder().decode(output.stdout);
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, `${command.title}:\n${stderr}\n${stdout}`);
      // The echo ran on this machine and its output came back through the fake model.
      assert.match(stdout, /The command printed: hello from GigaChat/, command.title);
    }
    assert.match(AGENT_PROMPT, /`echo hello from GigaChat`/);
    await first.rest.cancel();
  } finally {
    await stopDemo(demo, tmp);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the README shows the demo's agent commands as the demo prints them on port 8080", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const joined = readme.replaceAll(/ \\\n\s*/g, " ");
  for (const command of agentCommands("http://127.0.0.1:8080")) {
    assert.ok(joined.includes(shellLine(command)), `${command.title}: ${shellLine(command)}`);
    if (command.setup) assert.ok(joined.includes(command.setup), `${command.title}: setup`);
  }
});
