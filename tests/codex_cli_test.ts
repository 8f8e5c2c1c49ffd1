// The real Codex CLI (npm @openai/codex; its native binary comes in an optional dependency)
// runs one `codex exec` turn against the gateway, on the Responses API: the fake GigaChat calls
// Codex's exec_command tool, Codex runs it and sends the output back, and the final answer is
// printed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { installCodex, writeCodexConfig } from "./helpers/agent_clis.ts";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";

const UUID = "5e1f0c1a-9a7b-4c3d-8e2f-1a2b3c4d5e6f";

Deno.test("codex exec: a tool call runs in Codex and the final answer is printed", async () => {
  const installDir = await installCodex();
  const stack = await startStack();
  const home = await Deno.makeTempDir({ prefix: "gigachat-gateway-codex-home-" });
  const work = await Deno.makeTempDir({ prefix: "gigachat-gateway-codex-work-" });
  try {
    await writeCodexConfig(home, stack.baseURL);
    stack.fake.scriptChat(
      {
        functionCall: { name: "exec_command", arguments: { cmd: "printf codex-ran-%s 42" } },
        functionsStateId: UUID,
      },
      { content: "The command printed codex-ran-42." },
    );
    const abort = AbortSignal.timeout(120_000);
    const output = await new Deno.Command(join(installDir, "node_modules/.bin/codex"), {
      args: ["exec", "--skip-git-repo-check", "Run the command, then tell me what it printed."],
      cwd: work,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: home,
        CODEX_HOME: home,
        GIGACHAT_KEY: DEMO_KEY,
      },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort,
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `codex exec failed:\n${stderr}\n${stdout}`);
    assert.match(stdout, /The command printed codex-ran-42\./);
    const bodies = stack.fake.chatBodies();
    assert.equal(bodies.length, 2, "the tool call, then the answer after its output");
    const result = (bodies[1].messages as { role: string; name?: string; content: string }[])
      .find((message) => message.role === "function");
    assert.equal(result?.name, "exec_command");
    assert.match(
      result?.content ?? "",
      /codex-ran-42/,
      "Codex ran the command and sent its output",
    );
    const requests = stack.logRecords().filter((line) => line.msg === "request");
    assert.ok(requests.every((line) => line.path === "/v1/responses" && line.status === 200));
  } finally {
    await stack.close();
    await Deno.remove(home, { recursive: true });
    await Deno.remove(work, { recursive: true });
  }
});
