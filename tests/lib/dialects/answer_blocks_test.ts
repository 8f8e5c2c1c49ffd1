import assert from "node:assert/strict";
import { AnswerBlocks } from "../../../lib/dialects/answer_blocks.ts";
import {
  type OpenAIChatCompletionChunk,
  type OpenAIChunkChoice,
  STOP_SEQUENCE,
} from "../../../lib/openai/types.ts";

function chunk(
  delta: OpenAIChunkChoice["delta"],
  more: Partial<OpenAIChunkChoice> = {},
): OpenAIChatCompletionChunk {
  return {
    id: "c",
    object: "chat.completion.chunk",
    created: 0,
    model: "m",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null, ...more }],
  };
}

const CITE = {
  type: "url_citation" as const,
  url_citation: { url: "https://a.example/", title: "A", start_index: 0, end_index: 1 },
};
const CALL = {
  index: 0,
  id: "call_1",
  type: "function" as const,
  function: { name: "f", arguments: "{}" },
};

Deno.test("AnswerBlocks opens, feeds and closes text blocks in order", () => {
  const blocks = new AnswerBlocks({ citations: "in-text" });
  const events = [
    ...blocks.read([chunk({ reasoning_content: "think" }), chunk({ reasoning_content: "ing" })]),
    ...blocks.read([chunk({ content: "Hi" }), chunk({ tool_calls: [CALL] })]),
    ...blocks.end(),
  ];
  assert.deepEqual(events, [
    { type: "open", kind: "reasoning" },
    { type: "delta", kind: "reasoning", text: "think" },
    { type: "delta", kind: "reasoning", text: "ing" },
    { type: "close", kind: "reasoning", text: "thinking" },
    { type: "open", kind: "text" },
    { type: "delta", kind: "text", text: "Hi" },
    { type: "close", kind: "text", text: "Hi" },
    { type: "tool_call", call: CALL },
  ]);
});

Deno.test("AnswerBlocks puts citations in the text block or apart, as the dialect asks", () => {
  const inText = new AnswerBlocks({ citations: "in-text" });
  assert.deepEqual(
    inText.read([chunk({ reasoning_content: "r" }), chunk({ annotations: [CITE] })]),
    [
      { type: "open", kind: "reasoning" },
      { type: "delta", kind: "reasoning", text: "r" },
      { type: "close", kind: "reasoning", text: "r" },
      { type: "open", kind: "text" },
      { type: "citations", citations: [CITE] },
    ],
  );
  const apart = new AnswerBlocks({ citations: "apart" });
  assert.deepEqual(apart.read([chunk({ content: "t" }), chunk({ annotations: [CITE] })]), [
    { type: "open", kind: "text" },
    { type: "delta", kind: "text", text: "t" },
    { type: "close", kind: "text", text: "t" },
    { type: "citations", citations: [CITE] },
  ]);
  assert.equal(apart.open, undefined);
});

Deno.test("AnswerBlocks keeps the finish, stop sequence and usage, and skips other choices", () => {
  const blocks = new AnswerBlocks({ citations: "apart" });
  const usage = {
    prompt_tokens: 3,
    completion_tokens: 2,
    total_tokens: 5,
    prompt_tokens_details: { cached_tokens: 0 },
  };
  const other = chunk({ content: "second choice" });
  other.choices[0].index = 1;
  const events = blocks.read([
    other,
    chunk({ content: "a" }, { finish_reason: "stop", [STOP_SEQUENCE]: "END" }),
    { ...chunk({}), choices: [], usage },
  ]);
  assert.equal(events.length, 2);
  assert.equal(blocks.finish, "stop");
  assert.equal(blocks.stopSequence, "END");
  assert.deepEqual(blocks.usage, usage);
  assert.deepEqual(blocks.end(), [{ type: "close", kind: "text", text: "a" }]);
  assert.deepEqual(blocks.end(), [], "closing twice closes nothing");
});
