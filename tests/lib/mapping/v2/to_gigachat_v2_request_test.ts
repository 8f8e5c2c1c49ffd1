import assert from "node:assert/strict";
import type { GigaChatChatRequest } from "../../../../lib/gigachat/types.ts";
import { toGigaChatV2Request } from "../../../../lib/mapping/v2/to_gigachat_v2_request.ts";
import { GatewayError } from "../../../../lib/errors.ts";

const SAMPLES = new URL("../../../../fake_gigachat/samples/", import.meta.url);
const sample = async (name: string) =>
  JSON.parse(await Deno.readTextFile(new URL(name, SAMPLES))) as Record<string, unknown>;

const ORDER_FUNCTION = {
  name: "get_order_status",
  description: "Get delivery status for an order.",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string", description: "Order identifier." } },
    required: ["order_id"],
  },
  // Passed through as the v1 mapping leaves it (the samples' SDK sends it).
  return_parameters: {
    type: "object",
    properties: {
      order_id: { type: "string" },
      status: { type: "string" },
      eta: { type: "string" },
    },
    required: ["order_id", "status", "eta"],
  },
};
const ASK_ORDER = { role: "user" as const, content: "Check order A-1024 and answer naturally." };
const STATE = "019e8373-dc9a-7883-af60-ebb20b79e1e1";

Deno.test("toGigaChatV2Request gives the recorded v2 bodies (samples/v2chat_*_request.json)", async (t) => {
  const rows: {
    name: string;
    v1: GigaChatChatRequest;
    hosted?: Parameters<typeof toGigaChatV2Request>[1];
    sample: string;
  }[] = [
    {
      name: "simple",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [{ role: "user", content: "Say 'Hello' and nothing else" }],
      },
      sample: "v2chat_simple_request.json",
    },
    {
      name: "stream",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [{ role: "user", content: "Count from 1 to 3" }],
        stream: true,
      },
      sample: "v2chat_stream_request.json",
    },
    {
      name: "a forced function",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [ASK_ORDER],
        functions: [ORDER_FUNCTION],
        function_call: { name: "get_order_status" },
      },
      sample: "v2chat_function_call_1_request.json",
    },
    {
      name: "the function's result, with the call's state id on both messages",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [
          ASK_ORDER,
          {
            role: "assistant",
            content: "",
            function_call: { name: "get_order_status", arguments: { order_id: "A-1024" } },
            functions_state_id: STATE,
          },
          {
            role: "function",
            name: "get_order_status",
            content: '{"order_id":"A-1024","status":"packed","eta":"tomorrow"}',
          },
        ],
        functions: [ORDER_FUNCTION],
      },
      sample: "v2chat_function_call_2_result_request.json",
    },
    {
      name: "json_schema, native and strict",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [{ role: "user", content: 'Return {"answer":"ok","n":3} exactly.' }],
        response_format: {
          type: "json_schema",
          schema: {
            description: "Structured answer returned by response_format=json_schema.",
            properties: {
              answer: { title: "Answer", type: "string" },
              n: { maximum: 10, minimum: 0, title: "N", type: "integer" },
            },
            required: ["answer", "n"],
            title: "StructuredAnswer",
            type: "object",
          },
          strict: true,
        },
      },
      sample: "v2chat_json_schema_request.json",
    },
    {
      name: "web search, forced",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [{ role: "user", content: "What is new in the latest stable Python release?" }],
      },
      hosted: { tools: ["web_search"], forced: "web_search" },
      sample: "v2chat_tool_web_search_request.json",
    },
    {
      name: "image generation, forced",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [{
          role: "user",
          content: "Create a simple square icon concept for a Python SDK release.",
        }],
      },
      hosted: { tools: ["image_generate"], forced: "image_generate" },
      sample: "v2chat_tool_image_generate_request.json",
    },
    {
      name: "URL reading, forced",
      v1: {
        model: "GigaChat-3-Ultra",
        messages: [{
          role: "user",
          content:
            "Read https://docs.python.org/3/library/pathlib.html and list three use cases for pathlib.",
        }],
      },
      hosted: { tools: ["url_content_extraction"], forced: "url_content_extraction" },
      sample: "v2chat_tool_url_content_extraction_request.json",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      assert.deepEqual(toGigaChatV2Request(row.v1, row.hosted), await sample(row.sample));
    });
  }
});

Deno.test("toGigaChatV2Request reshapes what v1 keeps elsewhere", async (t) => {
  const rows: { name: string; v1: GigaChatChatRequest; expected: Record<string, unknown> }[] = [
    {
      name: "sampling settings and reasoning into model_options; profanity_check as disable_filter",
      v1: {
        model: "M",
        messages: [{ role: "user", content: "x" }],
        top_p: 0,
        max_tokens: 10,
        repetition_penalty: 1.1,
        update_interval: 0.2,
        reasoning_effort: "none",
        profanity_check: true,
        n: 1,
      },
      expected: {
        model: "M",
        messages: [{ role: "user", content: [{ text: "x" }] }],
        model_options: {
          top_p: 0,
          max_tokens: 10,
          repetition_penalty: 1.1,
          update_interval: 0.2,
          reasoning: { effort: "none" },
        },
        disable_filter: false,
      },
    },
    {
      name: "attachments as a files part, after the text; none without text",
      v1: {
        model: "M",
        messages: [
          { role: "system", content: "S" },
          { role: "user", content: "Look", attachments: ["f1", "f2"] },
          { role: "user", content: "", attachments: ["f3"] },
        ],
      },
      expected: {
        model: "M",
        messages: [
          { role: "system", content: [{ text: "S" }] },
          { role: "user", content: [{ text: "Look" }, { files: [{ id: "f1" }, { id: "f2" }] }] },
          { role: "user", content: [{ files: [{ id: "f3" }] }] },
        ],
      },
    },
    {
      name:
        "an assistant's text with its call; reasoning history left behind; a result that is not an object wrapped",
      v1: {
        model: "M",
        messages: [
          { role: "user", content: "x" },
          {
            role: "assistant",
            content: "Let me look.",
            reasoning_content: "hidden",
            function_call: { name: "f", arguments: {} },
          },
          { role: "function", name: "f", content: "plain text" },
        ],
        functions: [{ name: "f", parameters: { type: "object" } }],
        function_call: "auto",
      },
      expected: {
        model: "M",
        messages: [
          { role: "user", content: [{ text: "x" }] },
          {
            role: "assistant",
            content: [{ text: "Let me look." }, { function_call: { name: "f", arguments: {} } }],
          },
          {
            role: "tool",
            content: [{ function_result: { name: "f", result: { result: "plain text" } } }],
          },
        ],
        tools: [{ functions: { specifications: [{ name: "f", parameters: { type: "object" } }] } }],
        tool_config: { mode: "auto" },
      },
    },
    {
      name: "functions said none, GigaChat's tools still offered: auto",
      v1: { model: "M", messages: [{ role: "user", content: "x" }], function_call: "none" },
      expected: {
        model: "M",
        messages: [{ role: "user", content: [{ text: "x" }] }],
        tools: [{ web_search: { type: "actual_info_web_search" } }],
        tool_config: { mode: "auto" },
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const hosted = row.name.startsWith("functions said none")
        ? { tools: ["web_search" as const] }
        : undefined;
      assert.deepEqual(toGigaChatV2Request(row.v1, hosted), row.expected);
    });
  }
  await t.step("a forced function wins over a forced hosted tool", () => {
    const body = toGigaChatV2Request(
      {
        model: "M",
        messages: [{ role: "user", content: "x" }],
        functions: [{ name: "f", parameters: {} }],
        function_call: { name: "f" },
      },
      { tools: ["web_search"], forced: "web_search" },
    );
    assert.deepEqual(body.tool_config, { mode: "forced", function_name: "f" });
  });
});

Deno.test("toGigaChatV2Request refuses n above 1, naming n", () => {
  assert.throws(
    () => toGigaChatV2Request({ model: "M", messages: [{ role: "user", content: "x" }], n: 2 }),
    (error: unknown) =>
      error instanceof GatewayError && error.status === 400 && error.param === "n",
  );
});
