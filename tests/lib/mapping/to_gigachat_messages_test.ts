import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import type { GigaChatMessage } from "../../../lib/gigachat/types.ts";
import { toFunctionResult, toGigaChatMessages } from "../../../lib/mapping/to_gigachat_messages.ts";
import { toolNamesFor } from "../../../lib/mapping/tool_names.ts";
import type { ChatMessage } from "../../../lib/openai/chat_request.ts";

// functions_state_id of the recorded function-call sample (chat_response_function_call.json).
const STATE_ID = "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5";
const STATE_ID_2 = "0b6f3c2e-8d4a-4f1e-9c7b-2a5d6e8f9a10";

function call(id: string, name: string, args: string) {
  return { id, type: "function" as const, function: { name, arguments: args } };
}

interface Row {
  name: string;
  messages: ChatMessage[];
  tools?: string[];
  expected: GigaChatMessage[];
}

Deno.test("toGigaChatMessages places system text and merges plain turns", async (t) => {
  const rows: Row[] = [
    {
      name: "leading system and developer merge into one first system",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Answer in Russian." },
        { role: "user", content: "Hi" },
      ],
      expected: [
        { role: "system", content: "Be brief.\n\nAnswer in Russian." },
        { role: "user", content: "Hi" },
      ],
    },
    {
      name: "system text parts joined",
      messages: [
        { role: "system", content: [{ type: "text", text: "A" }, { type: "text", text: "B" }] },
        { role: "user", content: "Hi" },
      ],
      expected: [{ role: "system", content: "A\nB" }, { role: "user", content: "Hi" }],
    },
    {
      name: "a later system message becomes user (API-chat.md §2)",
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "system", content: "Now be formal." },
      ],
      expected: [
        { role: "system", content: "S" },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Now be formal." },
      ],
    },
    {
      name: "a later developer message right after a user merges into it",
      messages: [{ role: "user", content: "Hi" }, { role: "developer", content: "Rule" }],
      expected: [{ role: "user", content: "Hi\nRule" }],
    },
    {
      name: "user text parts joined with \\n",
      messages: [{
        role: "user",
        content: [{ type: "text", text: "first" }, { type: "text", text: "second" }],
      }],
      expected: [{ role: "user", content: "first\nsecond" }],
    },
    {
      name: "consecutive user messages merged with \\n (API-chat.md §2)",
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "two" },
        { role: "user", content: "three" },
      ],
      expected: [{ role: "user", content: "one\ntwo\nthree" }],
    },
    {
      name: "consecutive plain assistant messages merged",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "a1" },
        { role: "assistant", content: "a2" },
      ],
      expected: [{ role: "user", content: "q" }, { role: "assistant", content: "a1\na2" }],
    },
    {
      name: "assistant content null becomes an empty string",
      messages: [{ role: "user", content: "q" }, { role: "assistant", content: null }],
      expected: [{ role: "user", content: "q" }, { role: "assistant", content: "" }],
    },
    {
      name: "system only",
      messages: [{ role: "system", content: "S" }],
      expected: [{ role: "system", content: "S" }],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(
        toGigaChatMessages(row.messages, toolNamesFor(row.tools ?? [])),
        row.expected,
      );
    });
  }
});

Deno.test("toGigaChatMessages replays tool calls as function_call/function pairs", async (t) => {
  const rows: Row[] = [
    {
      name: "call_<uuid> gives functions_state_id; arguments become an object (API-chat.md §4)",
      messages: [
        { role: "user", content: "Погода?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            call(`call_${STATE_ID}`, "weather_forecast", '{"location":"Москва","num_days":0}'),
          ],
        },
        { role: "tool", tool_call_id: `call_${STATE_ID}`, content: '{"temperature":-5}' },
        { role: "assistant", content: "Минус пять." },
      ],
      expected: [
        { role: "user", content: "Погода?" },
        {
          role: "assistant",
          content: "",
          function_call: {
            name: "weather_forecast",
            arguments: { location: "Москва", num_days: 0 },
          },
          functions_state_id: STATE_ID,
        },
        { role: "function", name: "weather_forecast", content: '{"temperature":-5}' },
        { role: "assistant", content: "Минус пять." },
      ],
    },
    {
      name: "fc_<uuid> gives functions_state_id",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", tool_calls: [call(`fc_${STATE_ID}`, "f", "{}")] },
        { role: "tool", tool_call_id: `fc_${STATE_ID}`, content: "{}" },
      ],
      expected: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "",
          function_call: { name: "f", arguments: {} },
          functions_state_id: STATE_ID,
        },
        { role: "function", name: "f", content: "{}" },
      ],
    },
    {
      name: "OpenAI-style id gives no functions_state_id",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("call_abc123", "f", '{"a":1}')] },
        { role: "tool", tool_call_id: "call_abc123", content: "ok" },
      ],
      expected: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", function_call: { name: "f", arguments: { a: 1 } } },
        { role: "function", name: "f", content: '{"result":"ok"}' },
      ],
    },
    {
      name: "gateway-generated call_gw id gives no functions_state_id",
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: null,
          tool_calls: [call("call_gw0123456789abcdef0123456789abcdef", "f", "{}")],
        },
        { role: "tool", tool_call_id: "call_gw0123456789abcdef0123456789abcdef", content: "{}" },
      ],
      expected: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", function_call: { name: "f", arguments: {} } },
        { role: "function", name: "f", content: "{}" },
      ],
    },
    {
      name: "two calls in one message: two pairs in call order, results matched by id",
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            call(`call_${STATE_ID}`, "first", '{"x":1}'),
            call(`call_${STATE_ID_2}`, "second", ""),
          ],
        },
        { role: "tool", tool_call_id: `call_${STATE_ID_2}`, content: "two" },
        { role: "tool", tool_call_id: `call_${STATE_ID}`, content: "one" },
      ],
      expected: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "Checking.",
          function_call: { name: "first", arguments: { x: 1 } },
          functions_state_id: STATE_ID,
        },
        { role: "function", name: "first", content: '{"result":"one"}' },
        {
          role: "assistant",
          content: "",
          function_call: { name: "second", arguments: {} },
          functions_state_id: STATE_ID_2,
        },
        { role: "function", name: "second", content: '{"result":"two"}' },
      ],
    },
    {
      name: 'arguments "" and whitespace become {}',
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", " ")] },
        { role: "tool", tool_call_id: "c1", content: "{}" },
      ],
      expected: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", function_call: { name: "f", arguments: {} } },
        { role: "function", name: "f", content: "{}" },
      ],
    },
    {
      name: "tool result as text parts",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "{}")] },
        {
          role: "tool",
          tool_call_id: "c1",
          content: [{ type: "text", text: "a" }, { type: "text", text: "b" }],
        },
      ],
      expected: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", function_call: { name: "f", arguments: {} } },
        { role: "function", name: "f", content: '{"result":"a\\nb"}' },
      ],
    },
    {
      name: "assistant carrying function_call is never merged with a plain assistant",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "Let me check." },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "{}")] },
        { role: "tool", tool_call_id: "c1", content: "{}" },
        { role: "assistant", content: "Done." },
      ],
      expected: [
        { role: "user", content: "q" },
        { role: "assistant", content: "Let me check." },
        { role: "assistant", content: "", function_call: { name: "f", arguments: {} } },
        { role: "function", name: "f", content: "{}" },
        { role: "assistant", content: "Done." },
      ],
    },
    {
      name: "user messages after a tool exchange are merged, the pair is not",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "{}")] },
        { role: "tool", tool_call_id: "c1", content: "{}" },
        { role: "user", content: "and" },
        { role: "user", content: "more" },
      ],
      expected: [
        { role: "user", content: "q" },
        { role: "assistant", content: "", function_call: { name: "f", arguments: {} } },
        { role: "function", name: "f", content: "{}" },
        { role: "user", content: "and\nmore" },
      ],
    },
    {
      name: "web_search renamed to user_web_search in function_call and function (API-chat.md §4)",
      tools: ["web_search"],
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "web_search", '{"q":"x"}')] },
        { role: "tool", tool_call_id: "c1", content: '{"hits":[]}' },
      ],
      expected: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "",
          function_call: { name: "user_web_search", arguments: { q: "x" } },
        },
        { role: "function", name: "user_web_search", content: '{"hits":[]}' },
      ],
    },
    {
      name: "legacy function_call and function messages",
      tools: ["web_search"],
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: null,
          function_call: { name: "web_search", arguments: '{"q":"x"}' },
        },
        { role: "function", name: "web_search", content: "nothing" },
      ],
      expected: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "",
          function_call: { name: "user_web_search", arguments: { q: "x" } },
        },
        { role: "function", name: "user_web_search", content: '{"result":"nothing"}' },
      ],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(
        toGigaChatMessages(row.messages, toolNamesFor(row.tools ?? [])),
        row.expected,
      );
    });
  }
});

Deno.test("toGigaChatMessages rejects what GigaChat cannot take with a 400 naming it", async (t) => {
  const rows: { name: string; messages: ChatMessage[]; param: string; code: string | null }[] = [
    {
      name: "image_url part",
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "https://example.com/a.png" } },
        ],
      }],
      param: "messages[0].content[1]",
      code: "unsupported_content",
    },
    {
      name: "file part",
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "read" },
          { type: "file", file: { file_id: "file-1" } },
        ],
      }],
      param: "messages[0].content[1]",
      code: "unsupported_content",
    },
    {
      name: "input_audio part in a later message",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        {
          role: "user",
          content: [
            { type: "text", text: "listen" },
            { type: "input_audio", input_audio: { data: "", format: "wav" } },
          ],
        },
      ],
      param: "messages[2].content[1]",
      code: "unsupported_content",
    },
    {
      name: "tool message with an unknown tool_call_id",
      messages: [
        { role: "user", content: "q" },
        { role: "tool", tool_call_id: "call_nobody", content: "{}" },
      ],
      param: "messages[1].tool_call_id",
      code: null,
    },
    {
      name: "second tool message answering an already answered call",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "{}")] },
        { role: "tool", tool_call_id: "c1", content: "{}" },
        { role: "tool", tool_call_id: "c1", content: "{}" },
      ],
      param: "messages[3].tool_call_id",
      code: null,
    },
    {
      name: "tool message before the call it answers",
      messages: [
        { role: "user", content: "q" },
        { role: "tool", tool_call_id: "c1", content: "{}" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "{}")] },
      ],
      param: "messages[1].tool_call_id",
      code: null,
    },
    {
      name: "a tool call without a result",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "{}")] },
        { role: "user", content: "never mind" },
      ],
      param: "messages[1].tool_calls",
      code: null,
    },
    {
      name: "invalid JSON arguments name the call",
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: null,
          tool_calls: [call("c1", "f", "{}"), call("c2", "g", '{"a":')],
        },
        { role: "tool", tool_call_id: "c1", content: "{}" },
        { role: "tool", tool_call_id: "c2", content: "{}" },
      ],
      param: "messages[1].tool_calls[1].function.arguments",
      code: null,
    },
    {
      name: "arguments that are JSON but not an object",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [call("c1", "f", "[1,2]")] },
        { role: "tool", tool_call_id: "c1", content: "{}" },
      ],
      param: "messages[1].tool_calls[0].function.arguments",
      code: null,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.throws(() => toGigaChatMessages(row.messages, toolNamesFor([])), (e) => {
        assert.ok(e instanceof GatewayError);
        assert.deepEqual(
          { status: e.status, type: e.type, param: e.param, code: e.code },
          { status: 400, type: "invalid_request_error", param: row.param, code: row.code },
        );
        return true;
      });
    });
  }
});

Deno.test("toFunctionResult passes JSON objects and wraps anything else (API-chat.md §4)", async (t) => {
  const rows = [
    { name: "JSON object unchanged", text: '{"temp":-5}', expected: '{"temp":-5}' },
    { name: "JSON object text kept verbatim", text: ' { "a" : 1 } ', expected: ' { "a" : 1 } ' },
    { name: "plain text", text: "sunny", expected: '{"result":"sunny"}' },
    { name: "Cyrillic text stays raw", text: "Солнечно", expected: '{"result":"Солнечно"}' },
    { name: "JSON array", text: "[1,2]", expected: '{"result":[1,2]}' },
    { name: "JSON number", text: "42", expected: '{"result":42}' },
    { name: "JSON string", text: '"hi"', expected: '{"result":"hi"}' },
    { name: "JSON null", text: "null", expected: '{"result":null}' },
    { name: "JSON boolean", text: "true", expected: '{"result":true}' },
    { name: "empty text", text: "", expected: '{"result":""}' },
    { name: "broken JSON is text", text: '{"a":', expected: '{"result":"{\\"a\\":"}' },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(toFunctionResult(row.text), row.expected));
  }
});

Deno.test("toGigaChatMessages never merges a user message that carries attachments", () => {
  const messages: ChatMessage[] = [
    { role: "user", content: "Look at this:" },
    {
      role: "user",
      content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }],
    },
    {
      role: "user",
      content: [
        { type: "text", text: "and this" },
        { type: "image_url", image_url: { url: "data:image/png;base64,BBBB" } },
      ],
    },
  ];
  const out = toGigaChatMessages(messages, toolNamesFor([]), {
    fileIds: new Map([["1:0", "file-1"], ["2:1", "file-2"]]),
    dropped: new Set(),
  });
  assert.deepEqual(out, [
    { role: "user", content: "Look at this:" },
    { role: "user", content: "", attachments: ["file-1"] },
    { role: "user", content: "and this", attachments: ["file-2"] },
  ]);
});
