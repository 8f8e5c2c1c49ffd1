// Long sessions of the real Codex CLI and Claude Code through the gateway (issue #24): the fake
// GigaChat plays an agent's model over 10+ turns (a failing tool, a long output, an image from
// a tool, a follow-up after the gateway restarts, which both CLIs answer by re-sending the whole
// history). `RECORD_SESSIONS=1` also writes what the CLIs sent to tests/fixtures/sessions/, which
// agent_sessions_replay_test.ts replays on both backends.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ChatScript } from "../fake_gigachat/chat.ts";
import { GEMINI_SETTINGS } from "../fake_gigachat/demo_agents.ts";
import { FakeGigaChat } from "../fake_gigachat/server.ts";
import {
  packSession,
  PIXEL_PNG,
  SessionRecorder,
  type SessionTurn,
} from "./helpers/agent_session.ts";
import { freePort } from "./helpers/free_port.ts";
import {
  CLAUDE_CODE_QUIET_ENV,
  installClaudeCode,
  installCodex,
  installGeminiCli,
  writeCodexConfig,
} from "./helpers/agent_clis.ts";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";

const RECORD = Deno.env.get("RECORD_SESSIONS") === "1";
const FIXTURES = new URL("./fixtures/sessions/", import.meta.url);

/** One agent CLI run: its part of the session, then the gateway restarts before the next. */
interface Part {
  args: string[];
  scripts: ChatScript[];
  /** The final answer, printed by the CLI. */
  answer: string;
}

interface Session {
  /** The chat route the CLI uses. */
  path: string;
  run(
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  parts: Part[];
}

/** Runs the parts with a gateway restart between them; returns what the CLI sent, with scripts. */
async function runSession(
  session: Session,
  port: number,
  env: Record<string, string> = {},
) {
  const fake = await FakeGigaChat.start();
  const recorder = new SessionRecorder([session.path]);
  let stack: Stack | undefined;
  try {
    for (const part of session.parts) {
      stack = await startStack({
        sharedFake: fake,
        port,
        onRequest: recorder.onRequest,
        env,
      });
      fake.scriptChat(...part.scripts);
      const result = await session.run(part.args);
      assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
      assert.ok(
        result.stdout.includes(part.answer),
        `the final answer is printed:\n${result.stdout}`,
      );
      const failed = stack.logRecords().filter((line) =>
        line.msg === "request" && line.status !== 200
      );
      assert.deepEqual(failed, [], "every request of the session answered 200");
      await stack.close();
      stack = undefined;
    }
    const scripts = session.parts.flatMap((part) => part.scripts);
    const bodies = fake.chatBodies();
    assert.equal(
      recorder.turns.length,
      scripts.length,
      "one client request per scripted answer",
    );
    assert.equal(
      bodies.length,
      scripts.length,
      "one GigaChat request per client request",
    );
    const turns: SessionTurn[] = recorder.turns.map((turn, i) => ({
      ...turn,
      script: scripts[i],
    }));
    return { turns, bodies };
  } finally {
    await stack?.close();
    await fake.close();
  }
}

type Message = {
  role: string;
  content?: unknown;
  attachments?: unknown[];
  name?: string;
};

/** What GigaChat got on the last turn: every tool result and the image, none lost. */
function assertHistoryKept(
  bodies: Record<string, unknown>[],
  toolCalls: number,
) {
  const last = bodies.at(-1)?.messages as Message[];
  const results = last.filter((message) => message.role === "function");
  assert.equal(
    results.length,
    toolCalls,
    "each tool result of the session reached GigaChat",
  );
  assert.ok(
    last.some((message) => (message.attachments ?? []).length > 0),
    "the image a tool returned reached GigaChat",
  );
  const text = JSON.stringify(last);
  assert.match(
    text,
    /nonexistent-gateway-dir/,
    "the failing command's error is there",
  );
  assert.match(text, /2999/, "the long output is there");
}

function shell(
  name: string,
  command: string,
  extra: Record<string, unknown> = {},
): ChatScript {
  const key = name === "exec_command" ? "cmd" : "command";
  return { functionCall: { name, arguments: { ...extra, [key]: command } } };
}

async function writeFixture(
  name: string,
  client: string,
  turns: SessionTurn[],
) {
  await Deno.mkdir(FIXTURES, { recursive: true });
  const fixture = packSession(
    client,
    "Recorded by RECORD_SESSIONS=1 deno task test tests/agent_sessions_test.ts; the last turn " +
      "is derived (see its `derived`).",
    turns,
  );
  await Deno.writeTextFile(
    new URL(`${name}.json`, FIXTURES),
    JSON.stringify(fixture) + "\n",
  );
}

/** Runs an agent CLI in `cwd` with only the given environment (and PATH). */
async function cli(
  program: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
) {
  const output = await new Deno.Command(program, {
    args,
    cwd,
    env: { PATH: Deno.env.get("PATH") ?? "", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

/** A copy of the last turn whose history ends with two tool calls made at once. */
function withParallel(
  turns: SessionTurn[],
  key: string,
  addCalls: (history: Record<string, unknown>[]) => Record<string, unknown>[],
): SessionTurn[] {
  const last = turns.at(-1) as SessionTurn;
  const history = structuredClone(last.body[key]) as Record<string, unknown>[];
  const parallel: SessionTurn = {
    ...last,
    body: { ...last.body, [key]: [...history, ...addCalls(history)] },
    script: { content: "Both commands printed their numbers." },
    derived: "the last recorded turn with two tool calls made at once added to its history, " +
      "as the CLI sends them after a model that calls tools in parallel (GigaChat calls one)",
  };
  return [...turns, parallel];
}

/** Codex's function_call items and their outputs, cloned from the recorded ones. */
function codexParallelCalls(
  history: Record<string, unknown>[],
): Record<string, unknown>[] {
  const call = history.findLast((item) => item.type === "function_call");
  const output = history.findLast((item) => item.type === "function_call_output");
  assert.ok(call && output, "the session has a tool call to copy");
  const calls = ["five", "six"].map((word, i) => ({
    ...call,
    call_id: `call_parallel_${i}`,
    arguments: JSON.stringify({ cmd: `printf ${word}` }),
  }));
  const outputs = ["five", "six"].map((word, i) => ({
    ...output,
    call_id: `call_parallel_${i}`,
    output: word,
  }));
  return [...calls, ...outputs];
}

/** Claude Code's tool_use blocks in one assistant message, their results in one user message. */
function claudeParallelCalls(
  history: Record<string, unknown>[],
): Record<string, unknown>[] {
  type Block = Record<string, unknown>;
  const blocks = (message: Record<string, unknown>) =>
    Array.isArray(message.content) ? message.content as Block[] : [];
  const use = history.flatMap(blocks).findLast((block) => block.type === "tool_use");
  const result = history.flatMap(blocks).findLast((block) => block.type === "tool_result");
  assert.ok(use && result, "the session has a tool call to copy");
  const ids = ["toolu_parallel_0", "toolu_parallel_1"];
  return [
    {
      role: "assistant",
      content: ["five", "six"].map((word, i) => ({
        ...use,
        id: ids[i],
        input: { command: `printf ${word}`, description: "Print a number" },
      })),
    },
    {
      role: "user",
      content: ["five", "six"].map((word, i) => ({
        type: "tool_result",
        tool_use_id: ids[i],
        content: word,
      })),
    },
  ];
}

Deno.test("a long Codex CLI session: failing and long tools, an image, a restart", async () => {
  const install = await installCodex();
  const home = await Deno.makeTempDir({
    prefix: "gigachat-gateway-session-codex-home-",
  });
  const work = await Deno.makeTempDir({
    prefix: "gigachat-gateway-session-codex-work-",
  });
  await Deno.writeFile(join(work, "pic.png"), PIXEL_PNG);
  const port = freePort();
  const exec = (command: string) => shell("exec_command", command);
  try {
    await writeCodexConfig(home, `http://127.0.0.1:${port}/v1`);
    const session: Session = {
      path: "/v1/responses",
      run: (args) =>
        cli(join(install, "node_modules/.bin/codex"), args, work, {
          HOME: home,
          CODEX_HOME: home,
          GIGACHAT_KEY: DEMO_KEY,
        }),
      parts: [{
        args: [
          "exec",
          "--skip-git-repo-check",
          "Look around the folder, then describe pic.png.",
        ],
        scripts: [
          exec("printf one"),
          exec("ls /nonexistent-gateway-dir"),
          exec("seq 1 3000"),
          {
            functionCall: {
              name: "view_image",
              arguments: { path: join(work, "pic.png") },
            },
          },
          exec("printf two"),
          exec("wc -c pic.png"),
          exec("printf three"),
          { content: "The folder holds pic.png, a one-pixel image." },
        ],
        answer: "The folder holds pic.png, a one-pixel image.",
      }, {
        args: [
          "exec",
          "resume",
          "--last",
          "--skip-git-repo-check",
          "Run one more check.",
        ],
        scripts: [exec("printf four"), exec("false"), {
          content: "All checks are done.",
        }],
        answer: "All checks are done.",
      }],
    };
    const { turns, bodies } = await runSession(session, port);
    assertHistoryKept(bodies, 9);
    if (RECORD) {
      await writeFixture(
        "codex",
        "@openai/codex 0.169.0",
        withParallel(turns, "input", codexParallelCalls),
      );
    }
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a long Claude Code session: failing and long tools, an image, a restart", async () => {
  const install = await installClaudeCode();
  const home = await Deno.makeTempDir({
    prefix: "gigachat-gateway-session-claude-home-",
  });
  await Deno.writeFile(join(home, "pic.png"), PIXEL_PNG);
  const port = freePort();
  const bash = (command: string) =>
    shell("Bash", command, { description: `Run ${command.split(" ")[0]}` });
  const flags = ["--model", "GigaChat-2-Max", "--allowedTools", "Bash,Read"];
  try {
    const session: Session = {
      path: "/v1/messages",
      run: (args) =>
        cli(join(install, "node_modules/.bin/claude"), args, home, {
          HOME: home,
          ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
          ANTHROPIC_API_KEY: DEMO_KEY,
          ANTHROPIC_SMALL_FAST_MODEL: "GigaChat-2",
          ...CLAUDE_CODE_QUIET_ENV,
        }),
      parts: [{
        args: [
          "-p",
          "Look around the folder, then describe pic.png.",
          ...flags,
        ],
        scripts: [
          bash("printf one"),
          bash("ls /nonexistent-gateway-dir"),
          bash("seq 1 3000"),
          {
            functionCall: {
              name: "Read",
              arguments: { file_path: join(home, "pic.png") },
            },
          },
          bash("printf two"),
          bash("wc -c pic.png"),
          { content: "The folder holds pic.png, a one-pixel image." },
        ],
        answer: "The folder holds pic.png, a one-pixel image.",
      }, {
        args: ["-p", "--continue", "Run one more check.", ...flags],
        scripts: [bash("printf three"), bash("false"), {
          content: "All checks are done.",
        }],
        answer: "All checks are done.",
      }],
    };
    const { turns, bodies } = await runSession(session, port);
    assertHistoryKept(bodies, 8);
    if (RECORD) {
      await writeFixture(
        "claude_code",
        "@anthropic-ai/claude-code 2.1.328",
        withParallel(turns, "messages", claudeParallelCalls),
      );
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** Gemini CLI's functionCall parts and functionResponse parts, cloned from the recorded ones. */
function geminiParallelCalls(history: Record<string, unknown>[]): Record<string, unknown>[] {
  type Part = Record<string, unknown>;
  const parts = (content: Record<string, unknown>) =>
    Array.isArray(content.parts) ? content.parts as Part[] : [];
  const call = history.flatMap(parts).findLast((part) => part.functionCall !== undefined);
  const response = history.flatMap(parts).findLast((part) => part.functionResponse !== undefined);
  assert.ok(call && response, "the session has a tool call to copy");
  const ids = ["run_shell_command_parallel_0", "run_shell_command_parallel_1"];
  return [
    {
      role: "model",
      parts: ["five", "six"].map((word, i) => ({
        functionCall: {
          ...(call.functionCall as Part),
          id: ids[i],
          args: { command: `printf ${word}`, description: "Print a number" },
        },
      })),
    },
    {
      role: "user",
      parts: ["five", "six"].map((word, i) => ({
        functionResponse: {
          ...(response.functionResponse as Part),
          id: ids[i],
          response: { output: word },
        },
      })),
    },
  ];
}

Deno.test("a long Gemini CLI session: failing and long tools, an image, a restart", async () => {
  const install = await installGeminiCli();
  const home = await Deno.makeTempDir({ prefix: "gigachat-gateway-session-gemini-home-" });
  const work = join(home, "work");
  await Deno.mkdir(join(home, ".gemini"), { recursive: true });
  await Deno.mkdir(work);
  await Deno.writeTextFile(join(home, ".gemini", "settings.json"), GEMINI_SETTINGS);
  await Deno.writeFile(join(work, "pic.png"), PIXEL_PNG);
  const port = freePort();
  const run = (command: string) =>
    shell("run_shell_command", command, { description: `Run ${command.split(" ")[0]}` });
  const flags = ["-m", "GigaChat-2-Max", "--yolo"];
  try {
    const session: Session = {
      path: ":streamGenerateContent",
      run: (args) =>
        cli(join(install, "node_modules/.bin/gemini"), args, work, {
          HOME: home,
          GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${port}`,
          GEMINI_API_KEY: DEMO_KEY,
          GEMINI_CLI_TRUST_WORKSPACE: "true",
        }),
      parts: [{
        args: ["-p", "Look around the folder, then describe pic.png.", ...flags],
        scripts: [
          run("printf one"),
          run("ls /nonexistent-gateway-dir"),
          run("seq 1 3000"),
          { functionCall: { name: "read_file", arguments: { file_path: join(work, "pic.png") } } },
          run("printf two"),
          run("wc -c pic.png"),
          { content: "The folder holds pic.png, a one-pixel image." },
        ],
        answer: "The folder holds pic.png, a one-pixel image.",
      }, {
        args: ["-p", "Run one more check.", "--resume", "latest", ...flags],
        scripts: [run("printf three"), run("false"), { content: "All checks are done." }],
        answer: "All checks are done.",
      }],
    };
    const { turns, bodies } = await runSession(session, port);
    assertHistoryKept(bodies, 8);
    if (RECORD) {
      await writeFixture(
        "gemini_cli",
        "@google/gemini-cli 0.61.0",
        withParallel(turns, "contents", geminiParallelCalls),
      );
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
