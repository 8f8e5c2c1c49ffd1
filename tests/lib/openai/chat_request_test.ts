import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { type ChatRequest, parseChatRequest } from "../../../lib/openai/chat_request.ts";

const HI = [{ role: "user" as const, content: "hi" }];

Deno.test("parseChatRequest drops unknown top-level fields instead of rejecting them", async (t) => {
  const rows: { name: string; extra: Record<string, unknown> }[] = [
    { name: "store", extra: { store: true } },
    { name: "metadata", extra: { metadata: { user: "u1" } } },
    { name: "seed", extra: { seed: 42 } },
    { name: "user", extra: { user: "user-1" } },
    { name: "parallel_tool_calls", extra: { parallel_tool_calls: false } },
    { name: "logprobs", extra: { logprobs: true, top_logprobs: 2 } },
    { name: "service_tier", extra: { service_tier: "auto" } },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(parseChatRequest({ model: "gpt-4o", messages: HI, ...row.extra }), {
        model: "gpt-4o",
        messages: HI,
      });
    });
  }
});

Deno.test("parseChatRequest keeps the fields the gateway reads", async (t) => {
  const rows: { name: string; body: ChatRequest }[] = [
    {
      name: "sampling and streaming",
      body: {
        model: "gpt-4o",
        messages: HI,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0,
        top_p: 1,
        n: 1,
        max_tokens: 10,
        max_completion_tokens: 20,
        stop: ["END"],
      },
    },
    {
      name: "tools, tool_choice, response_format",
      body: {
        model: "gpt-4o",
        messages: HI,
        tools: [
          {
            type: "function",
            function: {
              name: "get_weather",
              description: "Weather",
              parameters: { type: "object", properties: {} },
              strict: true,
            },
          },
          { type: "web_search_preview" },
        ],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        response_format: {
          type: "json_schema",
          json_schema: { name: "out", schema: { type: "object" }, strict: true },
        },
      },
    },
    {
      name: "GigaChat extras at the top level and in extra_body",
      body: {
        model: "GigaChat-2",
        messages: HI,
        repetition_penalty: 1.1,
        extra_body: { update_interval: 0.5, profanity_check: false },
      },
    },
    {
      name: "every message role",
      body: {
        model: "gpt-4o",
        messages: [
          { role: "system", content: "S" },
          { role: "developer", content: [{ type: "text", text: "D" }] },
          {
            role: "user",
            content: [
              { type: "text", text: "look" },
              { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            ],
          },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c1", content: "ok" },
          { role: "function", name: "f", content: null },
        ],
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(parseChatRequest(row.body), row.body));
  }
});

Deno.test("parseChatRequest rejects with a 400 whose param is the field's path", async (t) => {
  const rows: { name: string; body: unknown; param: string | null; message: RegExp }[] = [
    {
      name: "tool message without tool_call_id",
      body: {
        model: "gpt-4o",
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: null },
          { role: "tool", content: "x" },
        ],
      },
      param: "messages[2].tool_call_id",
      message: /^Invalid value for 'messages\[2\]\.tool_call_id': /,
    },
    {
      name: "unknown role",
      body: { model: "gpt-4o", messages: [{ role: "robot", content: "a" }] },
      param: "messages[0].role",
      message: /^Invalid value for 'messages\[0\]\.role': /,
    },
    {
      name: "tool call without arguments",
      body: {
        model: "gpt-4o",
        messages: [{
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c", function: { name: "f" } }],
        }],
      },
      param: "messages[0].tool_calls[0].function.arguments",
      message: /^Invalid value for 'messages\[0\]\.tool_calls\[0\]\.function\.arguments': /,
    },
    {
      name: "empty messages",
      body: { model: "gpt-4o", messages: [] },
      param: "messages",
      message: /^Invalid value for 'messages': /,
    },
    {
      name: "missing model",
      body: { messages: HI },
      param: "model",
      message: /^Invalid value for 'model': /,
    },
    {
      name: "temperature above 2",
      body: { model: "gpt-4o", messages: HI, temperature: 3 },
      param: "temperature",
      message: /^Invalid value for 'temperature': /,
    },
    {
      name: "max_tokens not an integer",
      body: { model: "gpt-4o", messages: HI, max_tokens: 1.5 },
      param: "max_tokens",
      message: /^Invalid value for 'max_tokens': /,
    },
    {
      name: "unknown tool_choice",
      body: { model: "gpt-4o", messages: HI, tool_choice: "any" },
      param: "tool_choice",
      message: /^Invalid value for 'tool_choice': /,
    },
    {
      name: "json_schema without a name",
      body: {
        model: "gpt-4o",
        messages: HI,
        response_format: { type: "json_schema", json_schema: { schema: {} } },
      },
      param: "response_format.json_schema.name",
      message: /^Invalid value for 'response_format\.json_schema\.name': /,
    },
    {
      name: "more than 16 stop sequences",
      body: { model: "gpt-4o", messages: HI, stop: Array(17).fill("x") },
      param: "stop",
      message: /^Invalid value for 'stop': /,
    },
    {
      name: "not an object",
      body: "hello",
      param: null,
      message: /^Invalid value for 'body': /,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.throws(() => parseChatRequest(row.body), (e) => {
        assert.ok(e instanceof GatewayError);
        assert.deepEqual(
          { status: e.status, type: e.type, param: e.param },
          { status: 400, type: "invalid_request_error", param: row.param },
        );
        assert.match(e.message, row.message);
        return true;
      });
    });
  }
});

// Bug: `tools` is `z.union([functionTool, z.looseObject({ type: z.string() })])`
// (lib/openai/chat_request.ts), so a function tool that fails functionTool (empty, too long or
// missing name) still passes as a loose object, and toGigaChatRequest then sends GigaChat a
// function without a valid name instead of the client getting a 400 here.
Deno.test({
  name: "parseChatRequest rejects a function tool without a valid name",
  async fn(t) {
    const rows = [
      { name: "empty name", fn: { name: "" } },
      { name: "no name", fn: { description: "nameless" } },
      { name: "name over 64 characters", fn: { name: "x".repeat(65) } },
    ];
    for (const row of rows) {
      await t.step(row.name, () => {
        assert.throws(
          () =>
            parseChatRequest({
              model: "gpt-4o",
              messages: HI,
              tools: [{ type: "function", function: row.fn }],
            }),
          (e) =>
            e instanceof GatewayError && e.status === 400 && e.param === "tools[0].function.name",
        );
      });
    }
  },
});

Deno.test("parseChatRequest keeps reasoning_effort, reasoning.effort and history reasoning", async (t) => {
  await t.step("reasoning_effort", () => {
    assert.equal(
      parseChatRequest({ model: "m", messages: HI, reasoning_effort: "xhigh" }).reasoning_effort,
      "xhigh",
    );
  });
  await t.step("reasoning: {effort, summary}", () => {
    const parsed = parseChatRequest({
      model: "m",
      messages: HI,
      reasoning: { effort: "minimal", summary: "auto" },
    });
    assert.equal(parsed.reasoning?.effort, "minimal");
  });
  await t.step("an assistant turn's reasoning_content", () => {
    const parsed = parseChatRequest({
      model: "m",
      messages: [...HI, { role: "assistant", content: "4", reasoning_content: "2+2" }],
    });
    assert.equal((parsed.messages[1] as { reasoning_content?: string }).reasoning_content, "2+2");
  });
  await t.step("an unknown effort is a 400 naming it", () => {
    assert.throws(
      () => parseChatRequest({ model: "m", messages: HI, reasoning_effort: "max" }),
      (error: unknown) => error instanceof GatewayError && error.param === "reasoning_effort",
    );
  });
});
