import assert from "node:assert/strict";
import type { GigaChatChatRequest } from "../../../lib/gigachat/types.ts";
import type { ChatPlan } from "../../../lib/mapping/to_gigachat_request.ts";
import { toRepairRequest } from "../../../lib/mapping/to_repair_request.ts";
import { toolNamesFor } from "../../../lib/mapping/tool_names.ts";

const WEATHER = {
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};
const ANSWER = {
  name: "answer",
  description: "Give the final answer",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

const BODY: GigaChatChatRequest = {
  model: "GigaChat-2-Max",
  messages: [
    { role: "system", content: "Answer in JSON." },
    { role: "user", content: "Where is the Hermitage?" },
  ],
  stream: true,
  temperature: 0.3,
  functions: [WEATHER, ANSWER],
  function_call: "auto",
};

function plan(extra: Partial<ChatPlan>): ChatPlan {
  return {
    requestedModel: "gpt-4o",
    stream: true,
    includeUsage: false,
    stop: [],
    names: toolNamesFor([]),
    ignoredTools: [],
    legacyFunctions: false,
    ...extra,
  };
}

const FAILED = '{"town": "St Petersburg"}';
const PROBLEM = "the answer does not match the schema: / must have required property 'city'";
const REPAIR_ASK = "Your previous answer cannot be used: the answer does not match the schema: / " +
  "must have required property 'city'. Give the answer again, as JSON that follows the " +
  "required structure exactly, with nothing else.";

Deno.test("toRepairRequest asks again with the failed answer and its problem", async (t) => {
  const rows: {
    name: string;
    body: GigaChatChatRequest;
    plan: ChatPlan;
    expected: GigaChatChatRequest;
  }[] = [
    {
      name: "json_schema emulation: functions narrowed to the answer function, which is forced",
      body: BODY,
      plan: plan({ answerFunction: "answer" }),
      expected: {
        model: "GigaChat-2-Max",
        messages: [
          { role: "system", content: "Answer in JSON." },
          { role: "user", content: "Where is the Hermitage?" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
        temperature: 0.3,
        functions: [ANSWER],
        function_call: { name: "answer" },
      },
    },
    {
      name: "no answer function: functions and function_call untouched",
      body: BODY,
      plan: plan({}),
      expected: {
        model: "GigaChat-2-Max",
        messages: [
          { role: "system", content: "Answer in JSON." },
          { role: "user", content: "Where is the Hermitage?" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
        temperature: 0.3,
        functions: [WEATHER, ANSWER],
        function_call: "auto",
      },
    },
    {
      name: "a request without stream or functions",
      body: {
        model: "GigaChat",
        messages: [{ role: "user", content: "JSON please" }],
        response_format: { type: "json_object" },
      },
      plan: plan({ stream: false }),
      expected: {
        model: "GigaChat",
        messages: [
          { role: "user", content: "JSON please" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
        response_format: { type: "json_object" },
      },
    },
    {
      name: "stream: false is removed as well",
      body: { model: "GigaChat", messages: [{ role: "user", content: "x" }], stream: false },
      plan: plan({ stream: false }),
      expected: {
        model: "GigaChat",
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: '{"town": "St Petersburg"}' },
          { role: "user", content: REPAIR_ASK },
        ],
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const before = structuredClone(row.body);
      assert.deepEqual(toRepairRequest(row.body, row.plan, FAILED, PROBLEM), row.expected);
      assert.deepEqual(row.body, before, "the original request is not changed");
    });
  }
});
