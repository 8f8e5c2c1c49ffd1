import assert from "node:assert/strict";
import { geminiEvents } from "../../../../lib/dialects/gemini/gemini_events.ts";
import { geminiModelPage, toGeminiModel } from "../../../../lib/dialects/gemini/gemini_models.ts";
import { toGoogleError } from "../../../../lib/dialects/gemini/google_error.ts";
import { toJsonSchema } from "../../../../lib/dialects/gemini/openapi_schema.ts";
import {
  toFinishReason,
  toGeminiResponse,
  toUsageMetadata,
} from "../../../../lib/dialects/gemini/to_gemini_response.ts";
import { readReasoningToken } from "../../../../lib/dialects/responses/reasoning_token.ts";
import { GatewayError } from "../../../../lib/errors.ts";
import type { OpenAIChatCompletionChunk } from "../../../../lib/openai/types.ts";
import { chunk, chunksOf, STREAM_USAGE as USAGE } from "../../../helpers/chunks.ts";
const SETTING = { model: "GigaChat-2-Max", responseId: "r1", includeThoughts: true };

Deno.test("chat → Gemini: a completion with reasoning, text, a call and citations", () => {
  const response = toGeminiResponse({
    id: "c",
    object: "chat.completion",
    created: 1,
    model: "GigaChat-2-Max",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "Sunny.",
        refusal: null,
        reasoning_content: "Look it up.",
        tool_calls: [{
          id: "call_1",
          type: "function",
          function: { name: "f", arguments: '{"a":1}' },
        }],
        annotations: [{
          type: "url_citation",
          url_citation: { url: "https://a.example/", title: "A", start_index: 0, end_index: 6 },
        }],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    }],
    usage: USAGE,
  }, SETTING);
  const parts = response.candidates[0].content.parts as Record<string, unknown>[];
  assert.equal(parts[0].thought, true);
  assert.equal(parts[0].text, "Look it up.");
  assert.deepEqual(parts[1], { text: "Sunny." });
  assert.deepEqual(parts[2].functionCall, { id: "call_1", name: "f", args: { a: 1 } });
  assert.equal(readReasoningToken(String(parts[2].thoughtSignature)), "Look it up.");
  assert.equal(response.candidates[0].finishReason, "STOP");
  assert.deepEqual(response.candidates[0].groundingMetadata, {
    groundingChunks: [{ web: { uri: "https://a.example/", title: "A" } }],
    groundingSupports: [{ segment: { startIndex: 0, endIndex: 6 }, groundingChunkIndices: [0] }],
  });
  assert.deepEqual(response.usageMetadata, {
    promptTokenCount: 5,
    candidatesTokenCount: 3,
    totalTokenCount: 12,
    thoughtsTokenCount: 4,
    cachedContentTokenCount: 1,
  });
});

Deno.test("chat → Gemini: finish reasons and empty usage", () => {
  assert.deepEqual(
    [
      toFinishReason("stop"),
      toFinishReason("length"),
      toFinishReason("content_filter"),
      toFinishReason(null),
    ],
    ["STOP", "MAX_TOKENS", "SAFETY", "STOP"],
  );
  assert.deepEqual(toUsageMetadata(undefined), {
    promptTokenCount: 0,
    candidatesTokenCount: 0,
    totalTokenCount: 0,
  });
});

async function stream(framing: "sse" | "array", steps: OpenAIChatCompletionChunk[][]) {
  const source = geminiEvents(chunksOf(steps), SETTING, framing);
  const bytes = [...source.opening()];
  while (true) {
    const { bytes: more, done } = await source.next();
    bytes.push(...more);
    if (done) break;
  }
  bytes.push(...source.closing());
  return { text: new TextDecoder().decode(new Uint8Array(bytes.flatMap((b) => [...b]))), source };
}

const STEPS = [
  [chunk({ reasoning_content: "Hm" }), chunk({ reasoning_content: "m." })],
  [chunk({ content: "Hel" }), chunk({ content: "lo" })],
  [chunk({
    tool_calls: [{
      index: 0,
      id: "call_9",
      type: "function",
      function: { name: "f", arguments: "{}" },
    }],
  }, "tool_calls")],
];

Deno.test("chat stream → Gemini SSE: one response per read, the last with finish and usage", async () => {
  const { text, source } = await stream("sse", STEPS);
  assert.equal(source.keepalive, null, "no keep-alive comments");
  const frames = text.split("\r\n\r\n").filter((frame) => frame !== "");
  assert.ok(frames.every((frame) => frame.startsWith("data: {") && !frame.includes("\n")));
  const responses = frames.map((frame) => JSON.parse(frame.slice(6)));
  const parts = responses.map((r) => r.candidates[0].content.parts);
  assert.deepEqual(parts[0], [{ text: "Hmm.", thought: true }]);
  assert.equal(readReasoningToken(parts[1][0].thoughtSignature), "Hmm.");
  assert.deepEqual(parts[1][1], { text: "Hello" });
  assert.equal(parts[2][0].functionCall.id, "call_9");
  assert.equal(readReasoningToken(parts[2][0].thoughtSignature), "Hmm.");
  const last = responses.at(-1);
  assert.equal(last.candidates[0].finishReason, "STOP");
  assert.equal(last.usageMetadata.totalTokenCount, 12);
  assert.ok(responses.slice(0, -1).every((r) => r.usageMetadata === undefined));
});

Deno.test("chat stream → Gemini JSON array, and a failure as its last item", async () => {
  const { text } = await stream("array", STEPS);
  const items = JSON.parse(text);
  assert.ok(Array.isArray(items));
  assert.equal(items.at(-1).candidates[0].finishReason, "STOP");
  const source = geminiEvents(chunksOf(STEPS), SETTING, "array");
  const opened = new TextDecoder().decode(source.opening()[0]);
  const failed = source.failure(new GatewayError(502, "broke", { type: "server_error" }))
    .map((bytes) => new TextDecoder().decode(bytes)).join("");
  const parsed = JSON.parse(opened + failed);
  assert.deepEqual(parsed.at(-1), {
    error: { code: 503, message: "broke", status: "UNAVAILABLE" },
  });
});

Deno.test("Google errors: statuses, retry info and quota", () => {
  const limited = toGoogleError(
    new GatewayError(429, "slow down", {
      type: "rate_limit_error",
      code: "queue_full",
      headers: { "Retry-After": "3" },
    }),
  );
  assert.equal(limited.status, 429);
  assert.equal(limited.error.status, "RESOURCE_EXHAUSTED");
  assert.ok(limited.error.details?.some((d) => d.retryDelay === "3s"));
  const quota = toGoogleError(new GatewayError(402, "balance", { type: "insufficient_quota" }));
  assert.equal(quota.status, 429);
  assert.ok(JSON.stringify(quota.error.details).includes("PerDay"));
  const cases: [number, string, number][] = [
    [400, "INVALID_ARGUMENT", 400],
    [401, "UNAUTHENTICATED", 401],
    [403, "PERMISSION_DENIED", 403],
    [404, "NOT_FOUND", 404],
    [413, "INVALID_ARGUMENT", 400],
    [500, "INTERNAL", 500],
    [502, "UNAVAILABLE", 503],
    [503, "UNAVAILABLE", 503],
    [504, "DEADLINE_EXCEEDED", 504],
  ];
  for (const [status, name, http] of cases) {
    const out = toGoogleError(new GatewayError(status, "x", { type: "server_error" }));
    assert.deepEqual(
      [out.status, out.error.status, out.error.code],
      [http, name, http],
      `${status}`,
    );
  }
});

Deno.test("Google schemas → JSON Schema, and models in Google's shape", () => {
  assert.deepEqual(
    toJsonSchema({
      type: "ARRAY",
      items: { type: "OBJECT", properties: { k: { type: "STRING", enum: ["a"], format: "enum" } } },
      minItems: "1",
      propertyOrdering: ["k"],
    }),
    {
      type: "array",
      items: { type: "object", properties: { k: { type: "string", enum: ["a"], format: "enum" } } },
      minItems: 1,
    },
  );
  assert.deepEqual(toJsonSchema("nonsense"), {});
  const model = toGeminiModel({
    id: "GigaChat-2-Max",
    object: "model",
    created: 0,
    owned_by: "salutedevices",
    type: "chat",
    context_length: 128000,
    max_completion_tokens: 8192,
    supported_parameters: ["reasoning"],
  });
  assert.equal(model.name, "models/GigaChat-2-Max");
  assert.equal(model.inputTokenLimit, 128000);
  assert.equal(model.thinking, true);
  assert.deepEqual(model.supportedGenerationMethods, [
    "generateContent",
    "streamGenerateContent",
    "countTokens",
  ]);
  const many = Array.from(
    { length: 3 },
    (_, i) => ({ id: `m${i}`, object: "model" as const, created: 0, owned_by: "x" }),
  );
  const first = geminiModelPage(many, new URLSearchParams("pageSize=2"));
  assert.equal(first.nextPageToken, "2");
  const last = geminiModelPage(many, new URLSearchParams("pageSize=2&pageToken=2"));
  assert.equal(last.models.length, 1);
  assert.ok(!("nextPageToken" in last), "the last page has no token at all");
});
