import assert from "node:assert/strict";
import type { GigaChatChunk } from "../../../lib/gigachat/types.ts";
import { SseDataReader } from "../../../lib/http/sse.ts";
import type { ChatPlan } from "../../../lib/mapping/to_gigachat_request.ts";
import type { ResponseIds } from "../../../lib/mapping/to_openai_completion.ts";
import { ChatChunkMapper } from "../../../lib/mapping/to_openai_chunks.ts";
import { toolNamesFor } from "../../../lib/mapping/tool_names.ts";
import type { OpenAIChatCompletionChunk, OpenAIChunkChoice } from "../../../lib/openai/types.ts";

const SAMPLES = new URL("../../../fake_gigachat/samples/", import.meta.url);
const STREAM = await Deno.readFile(new URL("chat_stream.sse", SAMPLES));
const STREAM_FUNCTION_CALL = await Deno.readFile(new URL("chat_stream_function_call.sse", SAMPLES));

// The text of chat_stream.sse (API-chat.md §5), written out by hand.
const RECORDED_TEXT = "$1\\, 2\\, 3$  \n\n**Подробный разбор:**\n- Начинаем счёт с единицы." +
  "\n- Добавляем следующее число — двойку.\n- Заканчиваем счётом числом три.";

const IDS: ResponseIds = { id: "chatcmpl-replay", created: 1_700_000_000 };

function plan(fields: Partial<ChatPlan> = {}): ChatPlan {
  return {
    requestedModel: "gpt-4o",
    stream: true,
    includeUsage: false,
    stop: [],
    names: toolNamesFor([]),
    ignoredTools: [],
    hosted: { tools: [] },
    citations: false,
    legacyFunctions: false,
    ...fields,
  };
}

/** `bytes` as a stream cut at the given offsets. */
function streamOf(bytes: Uint8Array, cuts: readonly number[]): ReadableStream<Uint8Array> {
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const pieces = bounds.slice(1).map((end, k) => bytes.slice(bounds[k], end));
  return ReadableStream.from(pieces);
}

const TEXT = new TextEncoder();
/** Offset of the n-th occurrence (0-based) of `needle` in `bytes`. */
function offsetOf(bytes: Uint8Array, needle: string, n = 0): number {
  const pattern = TEXT.encode(needle);
  let seen = 0;
  for (let at = 0; at <= bytes.length - pattern.length; at++) {
    if (!pattern.every((byte, k) => bytes[at + k] === byte)) continue;
    if (seen === n) return at;
    seen++;
  }
  throw new Error(`'${needle}' #${n} is not in the sample`);
}

interface Replay {
  chunks: OpenAIChatCompletionChunk[];
  /** `mapper.complete` after start() and after each upstream event. */
  complete: boolean[];
}

/** What the route does: start(), then map() per SSE event, finish() at [DONE]. */
async function replay(body: ReadableStream<Uint8Array>, chatPlan: ChatPlan): Promise<Replay> {
  const mapper = new ChatChunkMapper(chatPlan, IDS);
  const chunks = [mapper.start()];
  const complete = [mapper.complete];
  const reader = new SseDataReader(body);
  for (let data = await reader.next(); data !== undefined; data = await reader.next()) {
    if (data === "[DONE]") {
      chunks.push(...mapper.finish());
      break;
    }
    chunks.push(...mapper.map(JSON.parse(data) as GigaChatChunk));
    complete.push(mapper.complete);
  }
  return { chunks, complete };
}

type Step = Pick<OpenAIChunkChoice, "delta" | "finish_reason">;
function steps(chunks: OpenAIChatCompletionChunk[]): Step[] {
  return chunks.flatMap((chunk) =>
    chunk.choices.map(({ delta, finish_reason }) => ({ delta, finish_reason }))
  );
}

const TEXT_STEPS: Step[] = [
  { delta: { role: "assistant", content: "" }, finish_reason: null },
  { delta: { content: "$1\\, 2\\, 3$  \n\n**Подробный разбор:" }, finish_reason: null },
  { delta: { content: "**\n- Начинаем счёт с единицы." }, finish_reason: null },
  { delta: { content: "\n- Добавляем следующее число — двойку." }, finish_reason: null },
  { delta: { content: "\n- Заканчиваем счётом числом три." }, finish_reason: null },
  { delta: {}, finish_reason: "stop" },
];

// Offsets chosen in the recorded bytes: inside a line, between the two "\n" closing an event,
// and inside a two-byte Cyrillic letter.
const MID_LINE = offsetOf(STREAM, '"choices"') + 4;
const MID_BLANK_LINE = offsetOf(STREAM, "\n\n", 1) + 1;
const MID_CYRILLIC = offsetOf(STREAM, "Подробный") + 1;
const SPLITS: { name: string; cuts: number[] }[] = [
  { name: "whole body at once", cuts: [] },
  { name: "mid-line, mid-\\n\\n and mid-Cyrillic", cuts: [MID_LINE, MID_BLANK_LINE, MID_CYRILLIC] },
  { name: "every byte apart", cuts: Array.from({ length: STREAM.length - 1 }, (_, k) => k + 1) },
  {
    name: "every 7 bytes",
    cuts: Array.from({ length: Math.floor((STREAM.length - 1) / 7) }, (_, k) => (k + 1) * 7),
  },
];

Deno.test("ChatChunkMapper test split points land where they are meant to", () => {
  assert.equal(STREAM[MID_CYRILLIC] & 0b1100_0000, 0b1000_0000, "a UTF-8 continuation byte");
  assert.deepEqual([STREAM[MID_BLANK_LINE - 1], STREAM[MID_BLANK_LINE]], [0x0a, 0x0a]);
  assert.ok(STREAM[MID_LINE - 1] !== 0x0a && STREAM[MID_LINE] !== 0x0a, "inside a line");
});

Deno.test("ChatChunkMapper replays chat_stream.sse at awkward byte boundaries (API-chat.md §5)", async (t) => {
  for (const split of SPLITS) {
    await t.step(split.name, async () => {
      const { chunks, complete } = await replay(
        streamOf(STREAM, split.cuts),
        plan({ includeUsage: true }),
      );
      assert.deepEqual(steps(chunks), TEXT_STEPS);
      const text = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? ""));
      assert.equal(text.join(""), RECORDED_TEXT);
      assert.deepEqual(
        chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean),
        ["stop"],
      );
      assert.deepEqual(new Set(chunks.map((c) => c.id)), new Set(["chatcmpl-replay"]));
      assert.deepEqual(new Set(chunks.map((c) => c.object)), new Set(["chat.completion.chunk"]));
      assert.deepEqual(new Set(chunks.map((c) => c.created)), new Set([1_700_000_000]));
      assert.deepEqual(new Set(chunks.map((c) => c.model)), new Set(["gpt-4o"]));
      assert.deepEqual(
        new Set(chunks.slice(1).map((c) => c.system_fingerprint)),
        new Set(["GigaChat:2.0.28.2"]),
      );
      // include_usage: every chunk says usage null, then one choices [] chunk carries it.
      assert.deepEqual(chunks.slice(0, -1).map((c) => c.usage), Array(6).fill(null));
      assert.deepEqual(chunks.at(-1)?.choices, []);
      assert.deepEqual(chunks.at(-1)?.usage, {
        prompt_tokens: 17,
        completion_tokens: 42,
        total_tokens: 59,
        prompt_tokens_details: { cached_tokens: 2 },
      });
      assert.deepEqual(complete, [false, false, false, false, false, true]);
    });
  }
});

Deno.test("ChatChunkMapper sends no usage unless asked", async () => {
  const { chunks } = await replay(streamOf(STREAM, []), plan());
  assert.deepEqual(steps(chunks), TEXT_STEPS);
  assert.equal(chunks.length, 6);
  assert.ok(chunks.every((c) => !("usage" in c)), "no usage key");
});

Deno.test("ChatChunkMapper replays chat_stream_function_call.sse (API-chat.md §5)", async (t) => {
  const rows = [
    { name: "whole body", cuts: [] },
    { name: "mid-Cyrillic", cuts: [offsetOf(STREAM_FUNCTION_CALL, "Москва") + 3] },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { chunks, complete } = await replay(
        streamOf(STREAM_FUNCTION_CALL, row.cuts),
        plan({ includeUsage: true, names: toolNamesFor(["weather_forecast"]) }),
      );
      assert.deepEqual(steps(chunks), [
        { delta: { role: "assistant", content: "" }, finish_reason: null },
        {
          delta: {
            tool_calls: [{
              index: 0,
              id: "call_77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5",
              type: "function",
              function: {
                name: "weather_forecast",
                arguments: '{"location":"Москва","num_days":0}',
              },
            }],
          },
          finish_reason: null,
        },
        { delta: {}, finish_reason: "tool_calls" },
      ]);
      assert.deepEqual(chunks.at(-1)?.usage, {
        prompt_tokens: 138,
        completion_tokens: 21,
        total_tokens: 159,
        prompt_tokens_details: { cached_tokens: 0 },
      });
      assert.deepEqual(complete, [false, true]);
    });
  }
});

/** Upstream chunks as GigaChat sends them: object chat.completion, no id (API-chat.md §5). */
function upstream(
  delta: GigaChatChunk["choices"][number]["delta"],
  finishReason?: string,
): GigaChatChunk {
  return {
    choices: [{ delta, index: 0, ...(finishReason ? { finish_reason: finishReason } : {}) }],
    created: 1768996176,
    model: "GigaChat:2.0.28.2",
  };
}

Deno.test("ChatChunkMapper maps chunk sequences", async (t) => {
  const rows: {
    name: string;
    plan: ChatPlan;
    start: boolean;
    input: GigaChatChunk[];
    expected: Step[][];
    complete: boolean[];
  }[] = [
    {
      name: "stop sequence across chunks ends the choice; later chunks give nothing",
      plan: plan({ stop: ["END"] }),
      start: true,
      input: [
        upstream({ content: "one E" }),
        upstream({ content: "N" }),
        upstream({ content: "D more" }),
        upstream({ content: "tail" }, "stop"),
      ],
      expected: [
        [{ delta: { content: "one " }, finish_reason: null }],
        [],
        [{ delta: {}, finish_reason: "stop" }],
        [],
      ],
      complete: [false, false, true, true],
    },
    {
      name: "held-back text flushed before the finish",
      plan: plan({ stop: ["END"] }),
      start: true,
      input: [upstream({ content: "the E" }), upstream({ content: "" }, "length")],
      expected: [
        [{ delta: { content: "the " }, finish_reason: null }],
        [{ delta: { content: "E" }, finish_reason: null }, { delta: {}, finish_reason: "length" }],
      ],
      complete: [false, true],
    },
    {
      name: "reasoning_content pieces come first, apart from the content (HOSTS-AND-MODELS.md)",
      plan: plan(),
      start: false,
      input: [
        upstream({ reasoning_content: "Think", role: "assistant" }),
        upstream({ reasoning_content: "ing." }),
        upstream({ content: "Answer." }, "stop"),
      ],
      expected: [
        [{ delta: { role: "assistant", reasoning_content: "Think" }, finish_reason: null }],
        [{ delta: { reasoning_content: "ing." }, finish_reason: null }],
        [{ delta: { content: "Answer." }, finish_reason: null }, {
          delta: {},
          finish_reason: "stop",
        }],
      ],
      complete: [false, false, true],
    },
    {
      name: "an inline <think> cut across chunks, then a stop sequence in the answer",
      plan: plan({ stop: ["END"] }),
      start: true,
      input: [
        upstream({ content: "<thi" }),
        upstream({ content: "nk>a E" }),
        upstream({ content: "ND b</th" }),
        upstream({ content: "ink>\nx END y" }),
      ],
      expected: [
        [],
        [{ delta: { reasoning_content: "a E" }, finish_reason: null }],
        [{ delta: { reasoning_content: "ND b" }, finish_reason: null }],
        [{ delta: { content: "x " }, finish_reason: null }, { delta: {}, finish_reason: "stop" }],
      ],
      complete: [false, false, false, true],
    },
    {
      name: "an unclosed <think> is reasoning when the answer ends",
      plan: plan(),
      start: true,
      input: [upstream({ content: "<think>cut </" }), upstream({ content: "" }, "length")],
      expected: [
        [{ delta: { reasoning_content: "cut " }, finish_reason: null }],
        [{ delta: { reasoning_content: "</" }, finish_reason: null }, {
          delta: {},
          finish_reason: "length",
        }],
      ],
      complete: [false, true],
    },
    {
      name: "content and finish_reason in one chunk",
      plan: plan(),
      start: true,
      input: [upstream({ content: "Hi" }, "stop")],
      expected: [[
        { delta: { content: "Hi" }, finish_reason: null },
        { delta: {}, finish_reason: "stop" },
      ]],
      complete: [true],
    },
    {
      name: "without start() the first delta carries the role",
      plan: plan(),
      start: false,
      input: [upstream({ role: "assistant", content: "Hi" }), upstream({ content: "!" }, "stop")],
      expected: [
        [{ delta: { role: "assistant", content: "Hi" }, finish_reason: null }],
        [{ delta: { content: "!" }, finish_reason: null }, { delta: {}, finish_reason: "stop" }],
      ],
      complete: [false, true],
    },
    {
      name: "renamed tool mapped back",
      plan: plan({ names: toolNamesFor(["web_search"]) }),
      start: true,
      input: [
        upstream({
          function_call: { name: "user_web_search", arguments: { q: "x" } },
          functions_state_id: "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5",
        }, "function_call"),
      ],
      expected: [[
        {
          delta: {
            tool_calls: [{
              index: 0,
              id: "call_77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5",
              type: "function",
              function: { name: "web_search", arguments: '{"q":"x"}' },
            }],
          },
          finish_reason: null,
        },
        { delta: {}, finish_reason: "tool_calls" },
      ]],
      complete: [true],
    },
    {
      name: "finish_reason function_call without a call is stop",
      plan: plan(),
      start: true,
      input: [upstream({ content: "No call." }, "function_call")],
      expected: [[
        { delta: { content: "No call." }, finish_reason: null },
        { delta: {}, finish_reason: "stop" },
      ]],
      complete: [true],
    },
    {
      name: "blacklist is content_filter (API-chat.md §3)",
      plan: plan(),
      start: true,
      input: [upstream({ content: "" }, "blacklist")],
      expected: [[{ delta: {}, finish_reason: "content_filter" }]],
      complete: [true],
    },
    {
      name: "empty deltas give no chunks and no completion",
      plan: plan(),
      start: true,
      input: [upstream({ content: "" }), upstream({})],
      expected: [[], []],
      complete: [false, false],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const mapper = new ChatChunkMapper(row.plan, IDS);
      if (row.start) mapper.start();
      const got: Step[][] = [];
      const complete: boolean[] = [];
      for (const chunk of row.input) {
        const out = mapper.map(chunk);
        assert.ok(out.every((c) => c.choices.length === 1), "one choice per chunk");
        got.push(steps(out));
        complete.push(mapper.complete);
      }
      assert.deepEqual(got, row.expected);
      assert.deepEqual(complete, row.complete);
    });
  }
});

Deno.test("ChatChunkMapper start() opens with the assistant role", () => {
  const mapper = new ChatChunkMapper(plan(), IDS);
  assert.deepEqual(mapper.start(), {
    id: "chatcmpl-replay",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o",
    choices: [{
      index: 0,
      delta: { role: "assistant", content: "" },
      logprobs: null,
      finish_reason: null,
    }],
  });
  assert.equal(mapper.complete, false);
  assert.deepEqual(mapper.finish(), []);
});

Deno.test("ChatChunkMapper finish() sends zero usage when GigaChat sent none", () => {
  const mapper = new ChatChunkMapper(plan({ includeUsage: true }), IDS);
  mapper.start();
  mapper.map(upstream({ content: "Hi" }, "stop"));
  assert.deepEqual(mapper.finish(), [{
    id: "chatcmpl-replay",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o",
    system_fingerprint: "GigaChat:2.0.28.2",
    choices: [],
    usage: {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0 },
    },
  }]);
});
