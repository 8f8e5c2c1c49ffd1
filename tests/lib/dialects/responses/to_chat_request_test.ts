import assert from "node:assert/strict";
import { GatewayError } from "../../../../lib/errors.ts";
import { reasoningToken } from "../../../../lib/dialects/responses/reasoning_token.ts";
import {
  parseResponsesRequest,
  type ResponsesRequest,
} from "../../../../lib/dialects/responses/responses_request.ts";
import { toChatRequest } from "../../../../lib/dialects/responses/to_chat_request.ts";
import type { ChatMessage } from "../../../../lib/openai/chat_request.ts";

function request(fields: Record<string, unknown>): ResponsesRequest {
  return parseResponsesRequest({ model: "GigaChat-2-Max", ...fields });
}

Deno.test("toChatRequest turns input items into chat messages", async (t) => {
  const rows: { name: string; fields: Record<string, unknown>; expected: ChatMessage[] }[] = [
    {
      name: "a string input, with instructions first",
      fields: { instructions: "Be brief.", input: "Hi" },
      expected: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
    },
    {
      name: "Codex's developer and user messages (../shared/clients/codex.md)",
      fields: {
        input: [
          { type: "message", role: "developer", content: [{ type: "input_text", text: "Rules" }] },
          { type: "message", role: "user", content: [{ type: "input_text", text: "Go" }] },
        ],
      },
      expected: [
        { role: "developer", content: "Rules" },
        { role: "user", content: [{ type: "text", text: "Go" }] },
      ],
    },
    {
      name: "reasoning, then two calls and their outputs: one assistant turn, two tool messages",
      fields: {
        input: [
          { role: "user", content: "Weather?" },
          {
            type: "reasoning",
            id: "rs_1",
            summary: [{ type: "summary_text", text: "Two cities." }],
          },
          { type: "function_call", call_id: "call_a", name: "w", arguments: '{"c":"A"}' },
          { type: "function_call", call_id: "call_b", name: "w", arguments: '{"c":"B"}' },
          { type: "function_call_output", call_id: "call_a", output: "1" },
          {
            type: "function_call_output",
            call_id: "call_b",
            output: [{ type: "input_text", text: "2" }],
          },
        ],
      },
      expected: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          reasoning_content: "Two cities.",
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "w", arguments: '{"c":"A"}' } },
            { id: "call_b", type: "function", function: { name: "w", arguments: '{"c":"B"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: "1" },
        { role: "tool", tool_call_id: "call_b", content: "2" },
      ],
    },
    {
      name: "an assistant answer with reasoning read back from encrypted_content",
      fields: {
        input: [
          {
            type: "reasoning",
            id: "rs_1",
            summary: [],
            encrypted_content: reasoningToken("Думаю."),
          },
          {
            type: "message",
            role: "assistant",
            content: [{ type: "output_text", text: "Ответ." }],
          },
        ],
      },
      expected: [{ role: "assistant", content: "Ответ.", reasoning_content: "Думаю." }],
    },
    {
      name: "reasoning, a hosted tool's record, then its answer: the reasoning is the answer's",
      fields: {
        input: [
          { role: "user", content: "a" },
          { type: "reasoning", summary: [{ type: "summary_text", text: "searching" }] },
          { type: "web_search_call", id: "ws_1", status: "completed" },
          { role: "assistant", content: [{ type: "output_text", text: "A." }] },
        ],
      },
      expected: [
        { role: "user", content: "a" },
        { role: "assistant", content: "A.", reasoning_content: "searching" },
      ],
    },
    {
      name: "reasoning with no answer after it stays off a later turn's answer",
      fields: {
        input: [
          { role: "user", content: "a" },
          { type: "reasoning", summary: [{ type: "summary_text", text: "unanswered" }] },
          { role: "user", content: "b" },
          { role: "assistant", content: [{ type: "output_text", text: "B." }] },
        ],
      },
      expected: [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { role: "assistant", content: "B." },
      ],
    },
    {
      name: "a custom tool call and a namespaced function call",
      fields: {
        input: [
          { type: "custom_tool_call", call_id: "call_c", name: "apply_patch", input: "*** Begin" },
          { type: "custom_tool_call_output", call_id: "call_c", output: "ok" },
          {
            type: "function_call",
            call_id: "call_n",
            name: "spawn",
            namespace: "agents",
            arguments: "{}",
          },
          { type: "function_call_output", call_id: "call_n", output: "spawned" },
        ],
      },
      expected: [
        {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "call_c",
            type: "function",
            function: { name: "apply_patch", arguments: '{"input":"*** Begin"}' },
          }],
        },
        { role: "tool", tool_call_id: "call_c", content: "ok" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "call_n",
            type: "function",
            function: { name: "agents__spawn", arguments: "{}" },
          }],
        },
        { role: "tool", tool_call_id: "call_n", content: "spawned" },
      ],
    },
    {
      name: "images and files",
      fields: {
        input: [{
          role: "user",
          content: [
            { type: "input_image", image_url: "data:image/png;base64,AAAA" },
            { type: "input_file", file_id: "file-1" },
          ],
        }],
      },
      expected: [{
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "file", file: { file_data: undefined, file_id: "file-1", filename: undefined } },
        ],
      }],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(toChatRequest(request(row.fields)).chat.messages, row.expected);
    });
  }
});

Deno.test("toChatRequest offers function, custom and namespaced tools, GigaChat's hosted ones, and leaves others out", () => {
  const { chat, tools } = toChatRequest(request({
    input: "x",
    tools: [
      { type: "function", name: "exec_command", parameters: { type: "object" } },
      { type: "custom", name: "apply_patch", description: "A patch" },
      {
        type: "namespace",
        name: "multi_agent_v1",
        tools: [{ type: "function", name: "spawn_agent", parameters: { type: "object" } }],
      },
      { type: "web_search", external_web_access: false },
      { type: "image_generation" },
      { type: "web_search_preview" },
      { type: "file_search", vector_store_ids: [] },
    ],
    tool_choice: { type: "function", name: "spawn_agent" },
    text: { format: { type: "json_schema", name: "out", schema: { type: "object" } } },
    max_output_tokens: 100,
    reasoning: { effort: "high", summary: "auto" },
  }));
  assert.deepEqual(
    chat.tools?.map((tool) => (tool as { function: { name: string } }).function.name),
    [
      "exec_command",
      "apply_patch",
      "multi_agent_v1__spawn_agent",
    ],
  );
  assert.deepEqual([...tools], [
    ["exec_command", { kind: "function", name: "exec_command", namespace: undefined }],
    ["apply_patch", { kind: "custom", name: "apply_patch", namespace: undefined }],
    ["multi_agent_v1__spawn_agent", {
      kind: "function",
      name: "spawn_agent",
      namespace: "multi_agent_v1",
    }],
  ]);
  assert.deepEqual(chat.hostedTools, ["web_search", "image_generate"]);
  assert.deepEqual(chat.ignoredTools, ["file_search"]);
  assert.deepEqual(
    toChatRequest(
      request({ input: "x", tools: [{ type: "web_search" }], tool_choice: { type: "web_search" } }),
    )
      .chat.hostedToolChoice,
    "web_search",
  );
  assert.deepEqual(chat.tool_choice, {
    type: "function",
    function: { name: "multi_agent_v1__spawn_agent" },
  });
  assert.equal(chat.response_format?.type, "json_schema");
  assert.equal(chat.max_completion_tokens, 100);
  assert.equal(chat.reasoning_effort, "high");
});

Deno.test("toChatRequest refuses what it cannot carry, naming it", async (t) => {
  const rows: [string, Record<string, unknown>, string][] = [
    ["an unknown item", { input: [{ type: "item_reference", id: "x" }] }, "input[0].type"],
    ["an unknown role", { input: [{ role: "critic", content: "x" }] }, "input[0].role"],
    [
      "a call without call_id",
      { input: [{ type: "function_call", name: "f" }] },
      "input[0].call_id",
    ],
    [
      "an audio part",
      { input: [{ role: "user", content: [{ type: "input_audio" }] }] },
      "input[0].content[0]",
    ],
    ["an unknown tool", { input: "x", tools: [{ type: "telepathy" }] }, "tools[0].type"],
    ["a tool_choice outside the tools", {
      input: "x",
      tool_choice: { type: "function", name: "f" },
    }, "tool_choice"],
    ["no input at all", { input: [] }, "input"],
  ];
  for (const [name, fields, param] of rows) {
    await t.step(name, () => {
      assert.throws(() => toChatRequest(request(fields)), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 400);
        assert.equal(error.param, param);
        return true;
      });
    });
  }
});
