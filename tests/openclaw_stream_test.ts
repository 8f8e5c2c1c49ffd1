// One streamed turn made by OpenClaw's own transport code, through the gateway, to a reasoning
// model: OpenClaw must see the reasoning as a thinking block, apart from the answer's text.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startStack } from "./helpers/stack.ts";
import { DEMO_KEY } from "../fake_gigachat/server.ts";
import { installOpenClaw, runWithOpenClaw } from "./helpers/npm_install.ts";
import type { StreamTurn, StreamTurnResult } from "./openclaw/stream_turn.ts";

const RUNNER = fileURLToPath(new URL("./openclaw/stream_turn.ts", import.meta.url));
const EXAMPLE = JSON.parse(
  await Deno.readTextFile(new URL("../openclaw.config.example.json", import.meta.url)),
);

/** Runs stream_turn.ts in a child with the install's node_modules, net to loopback only. */
async function openClawTurn(installDir: string, turn: StreamTurn): Promise<StreamTurnResult> {
  const scratch = await Deno.makeTempDir({ prefix: "gigachat-gateway-openclaw-turn-" });
  try {
    const turnFile = join(scratch, "turn.json");
    const resultFile = join(scratch, "result.json");
    await Deno.writeTextFile(turnFile, JSON.stringify(turn));
    // A HOME of its own, so nothing of the user's OpenClaw is read; Deno's cache stays put.
    const home = Deno.env.get("HOME");
    const child = await runWithOpenClaw(installDir, RUNNER, [
      join(installDir, "node_modules/@openclaw/ai"),
      turnFile,
      resultFile,
    ], {
      env: { HOME: scratch, ...(home ? { XDG_CACHE_HOME: join(home, ".cache") } : {}) },
      allow: ["--allow-net=127.0.0.1", `--allow-write=${scratch}`],
      timeoutMs: 120_000,
    });
    assert.equal(
      child.code,
      0,
      `OpenClaw's turn ran (timed out: ${child.timedOut})\n${child.stderr}`,
    );
    return JSON.parse(await Deno.readTextFile(resultFile));
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

Deno.test("OpenClaw's own stream parser sees GigaChat-2-Reasoning's reasoning apart from its answer", async (t) => {
  const installDir = await installOpenClaw();
  const stack = await startStack({ newHost: true });
  try {
    const entry = EXAMPLE.models.providers.gigachat.models.find((model: { id: string }) =>
      model.id === "GigaChat-2-Reasoning"
    );
    assert.ok(entry, "the example lists GigaChat-2-Reasoning");
    const rows = [
      { api: "openai-completions", inline: false },
      { api: "openai-completions", inline: true },
      { api: "openai-responses", inline: false },
      // OpenClaw's Gemini provider kind, with the Gemini API's base URL.
      { api: "google-generative-ai", inline: false },
    ];
    for (const { api, inline } of rows) {
      await t.step(
        `${api}, ${inline ? "reasoning sent inline as <think>" : "reasoning_content"}`,
        async () => {
          if (inline) {
            stack.fake.scriptChat({
              content: "Ответ: 4.",
              reasoning: "Считаем: 2+2=4.",
              reasoningInline: true,
            });
          }
          const google = api === "google-generative-ai";
          const result = await openClawTurn(installDir, {
            baseUrl: google ? `${stack.origin}/v1beta` : stack.baseURL,
            apiKey: DEMO_KEY,
            model: { ...entry, api },
            prompt: "Привет",
            reasoning: "high",
          });
          assert.equal(result.errorMessage, undefined);
          assert.equal(result.stopReason, "stop");
          const thinking = result.content.filter((block) => block.type === "thinking");
          const text = result.content.filter((block) => block.type === "text");
          assert.equal(
            thinking.map((block) => block.thinking).join(""),
            inline ? "Считаем: 2+2=4." : "The user wrote to me; a short, friendly answer fits.",
          );
          const answer = text.map((block) => block.text).join("");
          assert.equal(
            answer,
            inline ? "Ответ: 4." : 'This is a simulated GigaChat answer. You said: "Привет".',
          );
          assert.ok(
            result.events.includes("thinking_delta") && result.events.includes("text_delta"),
          );
          // What OpenClaw sent: a stream with usage, the effort for a reasoning model.
          const sent = stack.fake.chatBodies().at(-1)!;
          assert.equal(sent.stream, true);
          assert.equal(sent.model, "GigaChat-2-Reasoning");
          // OpenClaw asks a model it does not know by name for a dynamic budget (-1): the
          // model's own choice, so no effort is set.
          assert.equal(sent.reasoning_effort, google ? undefined : "high");
          const line = stack.logRecords().filter((record) => record.msg === "request").at(-1);
          assert.equal(
            line?.path,
            google
              ? "/v1beta/models/GigaChat-2-Reasoning:streamGenerateContent"
              : api === "openai-responses"
              ? "/v1/responses"
              : "/v1/chat/completions",
          );
        },
      );
    }
  } finally {
    await stack.close();
  }
});
