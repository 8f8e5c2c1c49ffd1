import assert from "node:assert/strict";
import type { GigaChatAssistantPart } from "../../../lib/gigachat/types.ts";
import { argumentsJson, toOpenAIToolCall } from "../../../lib/mapping/to_openai_tool_call.ts";
import { toolNamesFor } from "../../../lib/mapping/tool_names.ts";
import type { OpenAIToolCall } from "../../../lib/openai/types.ts";

const STATE_ID = "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5";

Deno.test("argumentsJson gives OpenAI's JSON string for GigaChat's object (API-chat.md §4)", async (t) => {
  const rows: { name: string; args: unknown; expected: string }[] = [
    {
      name: "object with Cyrillic stays raw UTF-8",
      args: { location: "Москва", num_days: 0 },
      expected: '{"location":"Москва","num_days":0}',
    },
    { name: "empty object", args: {}, expected: "{}" },
    { name: "already a string", args: '{"a":1}', expected: '{"a":1}' },
    { name: "undefined", args: undefined, expected: "{}" },
    { name: "null", args: null, expected: "{}" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(argumentsJson(row.args), row.expected));
  }
});

Deno.test("toOpenAIToolCall maps a function_call with its state id", async (t) => {
  const rows: {
    name: string;
    part: GigaChatAssistantPart;
    tools: string[];
    expected: OpenAIToolCall | undefined;
  }[] = [
    {
      name: "chat_response_function_call.json message",
      part: {
        content: "",
        role: "assistant",
        function_call: { name: "weather_forecast", arguments: { location: "Москва", num_days: 0 } },
        functions_state_id: STATE_ID,
      },
      tools: ["weather_forecast"],
      expected: {
        id: `call_${STATE_ID}`,
        type: "function",
        function: { name: "weather_forecast", arguments: '{"location":"Москва","num_days":0}' },
      },
    },
    {
      name: "renamed tool mapped back",
      part: {
        function_call: { name: "user_web_search", arguments: {} },
        functions_state_id: STATE_ID,
      },
      tools: ["web_search"],
      expected: {
        id: `call_${STATE_ID}`,
        type: "function",
        function: { name: "web_search", arguments: "{}" },
      },
    },
    { name: "no function_call", part: { content: "hi" }, tools: [], expected: undefined },
    {
      name: "function_call without a name",
      part: { function_call: {} },
      tools: [],
      expected: undefined,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(toOpenAIToolCall(row.part, toolNamesFor(row.tools)), row.expected);
    });
  }
  await t.step("without functions_state_id the id is generated", () => {
    const call = toOpenAIToolCall(
      { function_call: { name: "f", arguments: {} } },
      toolNamesFor([]),
    );
    assert.match(call?.id ?? "", /^call_gw[0-9a-f]{32}$/);
  });
});
