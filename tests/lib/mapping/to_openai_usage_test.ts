import assert from "node:assert/strict";
import type { GigaChatUsage } from "../../../lib/gigachat/types.ts";
import { toOpenAIUsage } from "../../../lib/mapping/to_openai_usage.ts";
import type { OpenAIUsage } from "../../../lib/openai/types.ts";

Deno.test("toOpenAIUsage maps GigaChat usage (API-chat.md §3)", async (t) => {
  const rows: { name: string; usage: GigaChatUsage | undefined; expected: OpenAIUsage }[] = [
    {
      name: "chat_response_simple.json: precached_prompt_tokens → cached_tokens",
      usage: {
        prompt_tokens: 17,
        completion_tokens: 3,
        total_tokens: 20,
        precached_prompt_tokens: 2,
      },
      expected: {
        prompt_tokens: 17,
        completion_tokens: 3,
        total_tokens: 20,
        prompt_tokens_details: { cached_tokens: 2 },
      },
    },
    {
      name: "reasoning tokens only where GigaChat counts them",
      usage: {
        prompt_tokens: 5,
        completion_tokens: 9,
        total_tokens: 14,
        completion_tokens_details: { reasoning_tokens: 6 },
      },
      expected: {
        prompt_tokens: 5,
        completion_tokens: 9,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 6 },
      },
    },
    {
      name: "total_tokens kept as GigaChat counts it",
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 5 },
      expected: {
        prompt_tokens: 1,
        completion_tokens: 1,
        total_tokens: 5,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
    {
      name: "missing total is the sum",
      usage: { prompt_tokens: 10, completion_tokens: 4 },
      expected: {
        prompt_tokens: 10,
        completion_tokens: 4,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
    {
      name: "older system_tokens-era usage without precached",
      usage: { prompt_tokens: 138, completion_tokens: 21, total_tokens: 159 },
      expected: {
        prompt_tokens: 138,
        completion_tokens: 21,
        total_tokens: 159,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
    {
      name: "no usage",
      usage: undefined,
      expected: {
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
    {
      name: "empty usage",
      usage: {},
      expected: {
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(toOpenAIUsage(row.usage), row.expected));
  }
});
