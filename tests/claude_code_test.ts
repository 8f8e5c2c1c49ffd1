// The real Claude Code (npm @anthropic-ai/claude-code; its native binary comes in an optional
// dependency and is put in place by the package's own install script) runs one `claude -p`
// turn against the gateway on the Messages API: the fake GigaChat calls Claude Code's Bash
// tool, Claude Code runs it and sends the tool_result back, and the final answer is printed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLAUDE_CODE_QUIET_ENV, installClaudeCode } from "./helpers/agent_clis.ts";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";

const UUID = "5e1f0c1a-9a7b-4c3d-8e2f-1a2b3c4d5e6f";

Deno.test("claude -p: a Bash call runs in Claude Code and the final answer is printed", async () => {
  const installDir = await installClaudeCode();
  // Claude Code's background tasks ask for a claude-*haiku* model unless told otherwise.
  const stack = await startStack({ env: { MODEL_ALIASES: '{"claude-haiku-4-5":"GigaChat-2"}' } });
  const home = await Deno.makeTempDir({ prefix: "gigachat-gateway-claude-home-" });
  try {
    stack.fake.scriptChat(
      {
        functionCall: {
          name: "Bash",
          arguments: { command: "printf claude-ran-%s 7", description: "Print a marker" },
        },
        functionsStateId: UUID,
      },
      { content: "The command printed claude-ran-7." },
    );
    const output = await new Deno.Command(join(installDir, "node_modules/.bin/claude"), {
      // Bash pre-approved rather than --dangerously-skip-permissions, which Claude Code
      // refuses to run as root (as CI does).
      args: [
        "-p",
        "Run the command and tell me what it printed.",
        "--model",
        "GigaChat-2-Max",
        "--allowedTools",
        "Bash",
      ],
      cwd: home,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: home,
        ANTHROPIC_BASE_URL: stack.origin,
        ANTHROPIC_API_KEY: DEMO_KEY,
        ANTHROPIC_SMALL_FAST_MODEL: "GigaChat-2",
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
    assert.equal(output.code, 0, `claude -p failed:\n${stderr}\n${stdout}`);
    assert.match(stdout, /The command printed claude-ran-7\./);
    const bodies = stack.fake.chatBodies();
    assert.equal(bodies.length, 2, "the tool call, then the answer after its result");
    const result = (bodies[1].messages as { role: string; name?: string; content: string }[])
      .find((message) => message.role === "function");
    assert.equal(result?.name, "Bash");
    assert.match(result?.content ?? "", /claude-ran-7/, "Claude Code ran the command");
    const requests = stack.logRecords().filter((line) => line.msg === "request");
    assert.ok(requests.every((line) => line.path === "/v1/messages" && line.status === 200));
  } finally {
    await stack.close();
    await Deno.remove(home, { recursive: true });
  }
});
