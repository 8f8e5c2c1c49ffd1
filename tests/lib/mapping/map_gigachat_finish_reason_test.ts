import assert from "node:assert/strict";
import { mapGigaChatFinishReason } from "../../../lib/mapping/map_gigachat_finish_reason.ts";
import type { OpenAIFinishReason } from "../../../lib/openai/types.ts";

Deno.test("mapGigaChatFinishReason maps every GigaChat reason to an OpenAI one", async (t) => {
  const rows: { name: string; reason: string | null | undefined; expected: OpenAIFinishReason }[] =
    [
      { name: "stop", reason: "stop", expected: "stop" },
      { name: "length", reason: "length", expected: "length" },
      { name: "function_call (API-chat.md §4)", reason: "function_call", expected: "tool_calls" },
      { name: "blacklist (API-chat.md §3)", reason: "blacklist", expected: "content_filter" },
      { name: "error (API-chat.md §3)", reason: "error", expected: "stop" },
      { name: "undefined (absent until the last chunk, §5)", reason: undefined, expected: "stop" },
      { name: "null", reason: null, expected: "stop" },
      { name: "empty string", reason: "", expected: "stop" },
      { name: "unknown value", reason: "something_new", expected: "stop" },
      { name: "upper case is not special", reason: "LENGTH", expected: "stop" },
      { name: "OpenAI's own tool_calls is not GigaChat's", reason: "tool_calls", expected: "stop" },
    ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(mapGigaChatFinishReason(row.reason), row.expected));
  }
});
