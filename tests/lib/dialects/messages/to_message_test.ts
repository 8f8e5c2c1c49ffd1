import assert from "node:assert/strict";
import { GatewayError } from "../../../../lib/errors.ts";
import { toAnthropicError } from "../../../../lib/dialects/messages/anthropic_error.ts";
import {
  toAnthropicUsage,
  toMessage,
  toStopReason,
} from "../../../../lib/dialects/messages/to_message.ts";

Deno.test("toStopReason maps chat's finish reasons", async (t) => {
  const rows = [
    ["stop", "end_turn"],
    ["length", "max_tokens"],
    ["tool_calls", "tool_use"],
    ["content_filter", "refusal"],
    [null, "end_turn"],
  ] as const;
  for (const [finish, expected] of rows) {
    await t.step(String(finish), () => assert.equal(toStopReason(finish), expected));
  }
});

Deno.test("toAnthropicUsage does not count cached tokens as input", () => {
  assert.deepEqual(
    toAnthropicUsage({
      prompt_tokens: 17,
      completion_tokens: 3,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 2 },
    }),
    {
      input_tokens: 15,
      output_tokens: 3,
      cache_read_input_tokens: 2,
      cache_creation_input_tokens: 0,
    },
  );
});

Deno.test("toMessage: thinking, text and tool_use blocks with toolu_ ids and object input", () => {
  const message = toMessage({
    id: "c",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{
      index: 0,
      logprobs: null,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: "Reading.",
        refusal: null,
        reasoning_content: "Need a file.",
        tool_calls: [{
          id: "call_x",
          type: "function",
          function: { name: "Read", arguments: '{"p":1}' },
        }],
      },
    }],
  }, "claude-sonnet-4-5");
  assert.equal(message.model, "claude-sonnet-4-5");
  assert.equal(message.stop_reason, "tool_use");
  assert.deepEqual(message.content.map((block) => block.type), ["thinking", "text", "tool_use"]);
  assert.deepEqual(message.content[2], {
    type: "tool_use",
    id: "toolu_x",
    name: "Read",
    input: { p: 1 },
  });
});

Deno.test("toAnthropicError gives Anthropic's type and status for each gateway error", async (t) => {
  const error = (status: number, retryable?: boolean, code?: string): GatewayError =>
    new GatewayError(status, "m", { type: "server_error", retryable, code });
  const rows: [GatewayError, string, number][] = [
    [error(400), "invalid_request_error", 400],
    [error(401), "authentication_error", 401],
    [error(403), "permission_error", 403],
    [error(404), "not_found_error", 404],
    [error(413), "request_too_large", 413],
    [error(429), "rate_limit_error", 429],
    [error(500), "api_error", 500],
    [error(502), "overloaded_error", 529],
    [error(503), "overloaded_error", 529],
    [error(502, false), "api_error", 502],
    // An answer GigaChat got wrong is no overload to wait out.
    [error(502, true, "upstream_invalid_answer"), "api_error", 502],
    [error(504), "timeout_error", 504],
    [
      new GatewayError(429, "m", { type: "insufficient_quota", retryable: false }),
      "billing_error",
      402,
    ],
  ];
  for (const [input, type, status] of rows) {
    await t.step(`${input.status}${input.retryable ? "" : " (not retryable)"}`, () => {
      const out = toAnthropicError(input);
      assert.deepEqual([out.error.type, out.status], [type, status]);
    });
  }
});
