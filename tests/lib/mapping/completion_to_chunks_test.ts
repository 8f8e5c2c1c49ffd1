import assert from "node:assert/strict";
import { completionToChunks } from "../../../lib/mapping/completion_to_chunks.ts";
import type {
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIUsage,
} from "../../../lib/openai/types.ts";

const USAGE: OpenAIUsage = {
  prompt_tokens: 18,
  completion_tokens: 7,
  total_tokens: 25,
  prompt_tokens_details: { cached_tokens: 0 },
};

const TEXT: OpenAIChatCompletion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1700000000,
  model: "GigaChat-2-Max",
  choices: [{
    index: 0,
    message: { role: "assistant", content: '{"city":"Москва"}', refusal: null },
    logprobs: null,
    finish_reason: "stop",
  }],
  usage: USAGE,
};

const TOOLS: OpenAIChatCompletion = {
  id: "chatcmpl-2",
  object: "chat.completion",
  created: 1700000001,
  model: "GigaChat",
  system_fingerprint: "fp_1",
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        {
          id: "call_a",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
        { id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } },
      ],
    },
    logprobs: null,
    finish_reason: "tool_calls",
  }],
  usage: USAGE,
};

Deno.test("completionToChunks replays a completion as chunks", async (t) => {
  const rows: {
    name: string;
    completion: OpenAIChatCompletion;
    includeUsage: boolean;
    expected: OpenAIChatCompletionChunk[];
  }[] = [
    {
      name: "text: role and content, then finish; no usage key without include_usage",
      completion: TEXT,
      includeUsage: false,
      expected: [
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          choices: [{
            index: 0,
            delta: { role: "assistant", content: '{"city":"Москва"}' },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        },
      ],
    },
    {
      name: "text with include_usage: usage null on each chunk, then a usage chunk",
      completion: TEXT,
      includeUsage: true,
      expected: [
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{
            index: 0,
            delta: { role: "assistant", content: '{"city":"Москва"}' },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          choices: [],
          usage: {
            prompt_tokens: 18,
            completion_tokens: 7,
            total_tokens: 25,
            prompt_tokens_details: { cached_tokens: 0 },
          },
        },
      ],
    },
    {
      name: "tool calls: one chunk per call with its index, system_fingerprint kept",
      completion: TOOLS,
      includeUsage: false,
      expected: [
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{
            index: 0,
            delta: { role: "assistant", content: "" },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{
            index: 0,
            delta: {
              tool_calls: [{
                index: 0,
                id: "call_a",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              }],
            },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{
            index: 0,
            delta: {
              tool_calls: [{
                index: 1,
                id: "call_b",
                type: "function",
                function: { name: "get_time", arguments: "{}" },
              }],
            },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-2",
          object: "chat.completion.chunk",
          created: 1700000001,
          model: "GigaChat",
          system_fingerprint: "fp_1",
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }],
        },
      ],
    },
    {
      name: "include_usage without usage in the completion: no usage chunk",
      completion: { ...TEXT, usage: undefined },
      includeUsage: true,
      expected: [
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{
            index: 0,
            delta: { role: "assistant", content: '{"city":"Москва"}' },
            logprobs: null,
            finish_reason: null,
          }],
        },
        {
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "GigaChat-2-Max",
          usage: null,
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        },
      ],
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(completionToChunks(row.completion, row.includeUsage), row.expected),
    );
  }
});

Deno.test("completionToChunks uses one id, created and model for every chunk", async (t) => {
  const rows: { name: string; completion: OpenAIChatCompletion; stamps: string[] }[] = [
    {
      name: "text with usage",
      completion: TEXT,
      stamps: Array(3).fill("chatcmpl-1 1700000000 GigaChat-2-Max chat.completion.chunk"),
    },
    {
      name: "tool calls with usage",
      completion: TOOLS,
      stamps: Array(5).fill("chatcmpl-2 1700000001 GigaChat chat.completion.chunk"),
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const chunks = completionToChunks(row.completion, true);
      assert.deepEqual(
        chunks.map((c) => `${c.id} ${c.created} ${c.model} ${c.object}`),
        row.stamps,
      );
    });
  }
});

Deno.test("completionToChunks replays each choice in turn (n > 1)", () => {
  const completion: OpenAIChatCompletion = {
    ...TEXT,
    choices: [
      { ...TEXT.choices[0], message: { role: "assistant", content: "a", refusal: null } },
      {
        index: 1,
        message: { role: "assistant", content: "b", refusal: null },
        logprobs: null,
        finish_reason: "length",
      },
    ],
  };
  assert.deepEqual(completionToChunks(completion, false).map((c) => c.choices), [
    [{ index: 0, delta: { role: "assistant", content: "a" }, logprobs: null, finish_reason: null }],
    [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
    [{ index: 1, delta: { role: "assistant", content: "b" }, logprobs: null, finish_reason: null }],
    [{ index: 1, delta: {}, logprobs: null, finish_reason: "length" }],
  ]);
});

Deno.test("completionToChunks leaves the completion as it was", () => {
  const before = structuredClone(TOOLS);
  completionToChunks(TOOLS, true);
  assert.deepEqual(TOOLS, before);
});
