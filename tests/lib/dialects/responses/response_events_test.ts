import assert from "node:assert/strict";
import { responseEvents } from "../../../../lib/dialects/responses/response_events.ts";
import { parseResponsesRequest } from "../../../../lib/dialects/responses/responses_request.ts";
import {
  type ResponseObject,
  type ResponseSetting,
  toResponse,
} from "../../../../lib/dialects/responses/to_response.ts";
import type { OpenAIChatCompletionChunk } from "../../../../lib/openai/types.ts";
import { chunk, chunksOf } from "../../../helpers/chunks.ts";

const SETTING: ResponseSetting = {
  id: "resp_1",
  createdAt: 1_700_000_000,
  request: parseResponsesRequest({ model: "GigaChat-2-Reasoning", input: "x" }),
  tools: new Map([["apply_patch", { kind: "custom" as const, name: "apply_patch" }]]),
  encryptedReasoning: false,
};

async function run(steps: OpenAIChatCompletionChunk[][]) {
  let stored: ResponseObject | undefined;
  const source = responseEvents(chunksOf(steps), SETTING, (response) => {
    stored = response;
    return Promise.resolve();
  });
  const bytes = [...source.opening()];
  while (true) {
    const { bytes: more, done } = await source.next();
    bytes.push(...more);
    if (done) break;
  }
  bytes.push(...source.closing());
  const text = bytes.map((b) => new TextDecoder().decode(b)).join("");
  const events = text.trim().split("\n\n").map((block) => {
    const [name, data] = block.split("\n");
    return { name: name.slice("event: ".length), data: JSON.parse(data.slice("data: ".length)) };
  });
  return { events, stored };
}

Deno.test("responseEvents: reasoning, text and a custom tool call, in the order SDKs expect", async () => {
  const { events, stored } = await run([
    [chunk({ reasoning_content: "Hm" }), chunk({ reasoning_content: "m." })],
    [chunk({ content: "Patching." })],
    [chunk({
      tool_calls: [{
        index: 0,
        id: "call_x",
        type: "function",
        function: { name: "apply_patch", arguments: '{"input":"*** Begin"}' },
      }],
    }, "tool_calls")],
  ]);
  assert.deepEqual(events.map((e) => e.name), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done",
    "response.output_item.done",
    "response.completed",
  ]);
  assert.deepEqual(events.map((e) => e.data.sequence_number), events.map((_, i) => i));
  assert.ok(events.every((e) => e.data.type === e.name));
  const final = events.at(-1)!.data.response as ResponseObject;
  assert.deepEqual(final.output.map((item) => item.type), [
    "reasoning",
    "message",
    "custom_tool_call",
  ]);
  const call = final.output[2];
  assert.ok(call.type === "custom_tool_call");
  assert.deepEqual([call.call_id, call.name, call.input], ["call_x", "apply_patch", "*** Begin"]);
  assert.equal(final.output_text, "Patching.");
  assert.deepEqual(final.usage, {
    input_tokens: 5,
    input_tokens_details: { cached_tokens: 1 },
    output_tokens: 7,
    output_tokens_details: { reasoning_tokens: 4 },
    total_tokens: 12,
  });
  assert.deepEqual(stored, final, "the finished Response goes to the store");
});

Deno.test("responseEvents: an answer cut by max_output_tokens ends with response.incomplete", async () => {
  const { events } = await run([[chunk({ content: "Long" }, "length")]]);
  const last = events.at(-1)!;
  assert.equal(last.name, "response.incomplete");
  assert.deepEqual(last.data.response.incomplete_details, { reason: "max_output_tokens" });
});

Deno.test("toResponse: a whole completion as a Response, status from finish_reason", async (t) => {
  const completion = (finish: "stop" | "length" | "content_filter") => ({
    id: "c",
    object: "chat.completion" as const,
    created: 1,
    model: "m",
    choices: [{
      index: 0,
      message: { role: "assistant" as const, content: "Hi", refusal: null, reasoning_content: "R" },
      logprobs: null,
      finish_reason: finish,
    }],
  });
  const rows: ["stop" | "length" | "content_filter", string, unknown][] = [
    ["stop", "completed", null],
    ["length", "incomplete", { reason: "max_output_tokens" }],
    ["content_filter", "incomplete", { reason: "content_filter" }],
  ];
  for (const [finish, status, details] of rows) {
    await t.step(finish, () => {
      const response = toResponse(completion(finish), SETTING);
      assert.equal(response.status, status);
      assert.deepEqual(response.incomplete_details, details);
      assert.deepEqual(response.output.map((item) => item.type), ["reasoning", "message"]);
      assert.equal(response.output_text, "Hi");
      assert.equal(response.usage, null);
    });
  }
});
