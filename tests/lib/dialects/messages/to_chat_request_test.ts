import assert from "node:assert/strict";
import { GatewayError } from "../../../../lib/errors.ts";
import { parseMessagesRequest } from "../../../../lib/dialects/messages/messages_request.ts";
import {
  toAnthropicToolId,
  toChatRequest,
  toChatToolId,
} from "../../../../lib/dialects/messages/to_chat_request.ts";
import { reasoningToken } from "../../../../lib/dialects/responses/reasoning_token.ts";
import type { ChatMessage } from "../../../../lib/openai/chat_request.ts";

const UUID = "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5";

function translate(fields: Record<string, unknown>) {
  return toChatRequest(
    parseMessagesRequest({ model: "GigaChat-2-Max", max_tokens: 10, ...fields }),
  );
}

Deno.test("toChatToolId and toAnthropicToolId carry the state id both ways", () => {
  assert.equal(toAnthropicToolId(`call_${UUID}`), `toolu_${UUID}`);
  assert.equal(toChatToolId(`toolu_${UUID}`), `call_${UUID}`);
  assert.equal(toChatToolId("other"), "other");
});

Deno.test("toChatRequest (Messages) turns blocks into chat messages", async (t) => {
  const rows: { name: string; fields: Record<string, unknown>; expected: ChatMessage[] }[] = [
    {
      name:
        "system blocks (cache_control ignored) and a system message in the list (Claude Code 2.x)",
      fields: {
        system: [{ type: "text", text: "A" }, { type: "text", text: "B", cache_control: {} }],
        messages: [{ role: "system", content: "C" }, { role: "user", content: "hi" }],
      },
      expected: [
        { role: "system", content: "A\nB" },
        { role: "system", content: "C" },
        { role: "user", content: "hi" },
      ],
    },
    {
      name: "thinking, text and two tool_use blocks; results, one an error, and an image",
      fields: {
        messages: [
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "", signature: reasoningToken("Hm.") },
              { type: "redacted_thinking", data: "x" },
              { type: "text", text: "Checking." },
              { type: "tool_use", id: `toolu_${UUID}`, name: "Read", input: { path: "a" } },
              { type: "tool_use", id: "toolu_b", name: "Bash", input: { command: "ls" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: `toolu_${UUID}`, content: "text of a" },
              {
                type: "tool_result",
                tool_use_id: "toolu_b",
                is_error: true,
                content: [
                  { type: "text", text: "no such dir" },
                  { type: "image", source: { type: "url", url: "https://x.test/a.png" } },
                ],
              },
              { type: "text", text: "Go on." },
            ],
          },
        ],
      },
      expected: [
        {
          role: "assistant",
          content: "Checking.",
          reasoning_content: "Hm.",
          tool_calls: [
            {
              id: `call_${UUID}`,
              type: "function",
              function: { name: "Read", arguments: '{"path":"a"}' },
            },
            {
              id: "call_b",
              type: "function",
              function: { name: "Bash", arguments: '{"command":"ls"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: `call_${UUID}`, content: "text of a" },
        { role: "tool", tool_call_id: "call_b", content: '{"error":"no such dir"}' },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "https://x.test/a.png" } },
            { type: "text", text: "Go on." },
          ],
        },
      ],
    },
    {
      name: "documents: a base64 PDF and plain text",
      fields: {
        messages: [{
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
            },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain" } },
          ],
        }],
      },
      expected: [{
        role: "user",
        content: [
          {
            type: "file",
            file: { file_data: "data:application/pdf;base64,JVBE", filename: "document.pdf" },
          },
          { type: "text", text: "plain" },
        ],
      }],
    },
    {
      name: "base64 documents named after their media type",
      fields: {
        messages: [{
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "base64", media_type: "text/plain", data: "aGk=" },
            },
            {
              type: "document",
              source: { type: "base64", media_type: "text/plain", data: "aGk=" },
              title: "notes",
            },
            {
              type: "document",
              source: { type: "base64", media_type: "text/plain", data: "aGk=" },
              title: "notes.md",
            },
            {
              type: "document",
              source: { type: "base64", media_type: "text/plain", data: "aGk=" },
              title: "Version 1.2",
            },
            {
              type: "document",
              source: { type: "base64", media_type: "text/plain", data: "aGk=" },
              title: "a.txt",
            },
          ],
        }],
      },
      expected: [{
        role: "user",
        content: [
          "document.txt",
          "notes.txt",
          "notes.md.txt",
          "Version 1.2.txt",
          "a.txt",
        ].map((filename) => ({
          type: "file" as const,
          file: { file_data: "data:text/plain;base64,aGk=", filename },
        })),
      }],
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(translate(row.fields).chat.messages, row.expected),
    );
  }
});

Deno.test("toChatRequest (Messages) maps settings, asks GigaChat for web search and leaves other server tools out", () => {
  const { chat } = translate({
    messages: [{ role: "user", content: "hi" }],
    tools: [
      { name: "Bash", description: "Run", input_schema: { type: "object" } },
      { type: "web_search_20250305", name: "web_search" },
      { type: "bash_20250124", name: "bash" },
    ],
    tool_choice: { type: "any" },
    stop_sequences: ["END"],
    temperature: 0.5,
    top_k: 5,
    thinking: { type: "enabled", budget_tokens: 8000 },
    context_management: { edits: [] },
  });
  assert.deepEqual(chat.ignoredTools, ["bash_20250124"]);
  assert.deepEqual(chat.hostedTools, ["web_search"]);
  assert.equal(chat.hostedToolChoice, undefined);
  const forced = translate({
    messages: [{ role: "user", content: "hi" }],
    tools: [{ type: "web_search_20250305", name: "web_search" }, {
      type: "web_fetch_20250910",
      name: "web_fetch",
    }],
    tool_choice: { type: "tool", name: "web_search" },
  }).chat;
  assert.deepEqual(forced.hostedTools, ["web_search", "url_content_extraction"]);
  assert.equal(forced.hostedToolChoice, "web_search");
  assert.equal(forced.tool_choice, "auto");
  assert.equal(chat.tools?.length, 1);
  assert.equal(chat.tool_choice, "required");
  assert.deepEqual(chat.stop, ["END"]);
  assert.equal(chat.max_completion_tokens, 10);
  assert.equal(chat.reasoning_effort, "medium");
  const effort = (fields: Record<string, unknown>) =>
    translate({ messages: [{ role: "user", content: "x" }], ...fields }).chat.reasoning_effort;
  assert.equal(effort({ output_config: { effort: "high" } }), "high");
  assert.equal(effort({ thinking: { type: "disabled" } }), "none");
  assert.equal(effort({ thinking: { type: "adaptive" } }), undefined);
});

Deno.test("toChatRequest (Messages) refuses what it cannot carry, naming it", async (t) => {
  const rows: [string, Record<string, unknown>, string][] = [
    ["no max_tokens", { max_tokens: undefined, messages: [] }, "max_tokens"],
    [
      "an audio block",
      { messages: [{ role: "user", content: [{ type: "audio" }] }] },
      "messages[0].content[0]",
    ],
    [
      "an image without a source",
      { messages: [{ role: "user", content: [{ type: "image" }] }] },
      "messages[0].content[0].source",
    ],
  ];
  for (const [name, fields, param] of rows) {
    await t.step(name, () => {
      assert.throws(() => translate(fields), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 400);
        assert.equal(error.param, param);
        return true;
      });
    });
  }
});
