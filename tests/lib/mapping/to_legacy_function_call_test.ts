import assert from "node:assert/strict";
import {
  toLegacyFunctionChoice,
  toLegacyFunctionChunkChoice,
} from "../../../lib/mapping/to_legacy_function_call.ts";
import type { OpenAIChatCompletion, OpenAIChunkChoice } from "../../../lib/openai/types.ts";

type Choice = OpenAIChatCompletion["choices"][number];

const CALL = { name: "get_weather", arguments: '{"city":"Москва"}' };

Deno.test("toLegacyFunctionChoice answers a tool call as message.function_call", async (t) => {
  const rows: { name: string; input: Choice; expected: Choice }[] = [
    {
      name: "a tool call",
      input: {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [{ id: "call_1", type: "function", function: CALL }],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
      expected: {
        index: 0,
        message: { role: "assistant", content: null, refusal: null, function_call: CALL },
        logprobs: null,
        finish_reason: "function_call",
      },
    },
    {
      name: "plain text stays as it is",
      input: {
        index: 1,
        message: { role: "assistant", content: "Привет", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
      expected: {
        index: 1,
        message: { role: "assistant", content: "Привет", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(toLegacyFunctionChoice(row.input), row.expected));
  }
});

Deno.test("toLegacyFunctionChunkChoice turns tool-call deltas into function_call deltas", async (t) => {
  const rows: { name: string; input: OpenAIChunkChoice; expected: OpenAIChunkChoice }[] = [
    {
      name: "the call",
      input: {
        index: 0,
        delta: {
          role: "assistant",
          tool_calls: [{ index: 0, id: "call_1", type: "function", function: CALL }],
        },
        logprobs: null,
        finish_reason: null,
      },
      expected: {
        index: 0,
        delta: { role: "assistant", function_call: CALL },
        logprobs: null,
        finish_reason: null,
      },
    },
    {
      name: "the finish",
      input: { index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" },
      expected: { index: 0, delta: {}, logprobs: null, finish_reason: "function_call" },
    },
    {
      name: "text",
      input: { index: 0, delta: { content: "a" }, logprobs: null, finish_reason: null },
      expected: { index: 0, delta: { content: "a" }, logprobs: null, finish_reason: null },
    },
    {
      name: "a stop",
      input: { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
      expected: { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(toLegacyFunctionChunkChoice(row.input), row.expected),
    );
  }
});
