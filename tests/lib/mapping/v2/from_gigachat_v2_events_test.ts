import assert from "node:assert/strict";
import { GatewayError } from "../../../../lib/errors.ts";
import { fromGigaChatV2Event } from "../../../../lib/mapping/v2/from_gigachat_v2_events.ts";
import { ChatChunkMapper } from "../../../../lib/mapping/to_openai_chunks.ts";
import { toolNamesFor } from "../../../../lib/mapping/tool_names.ts";
import type { ChatPlan } from "../../../../lib/mapping/to_gigachat_request.ts";
import { relayedChunks } from "../../../../lib/pipeline/chunk_stream.ts";

const SAMPLES = new URL("../../../../fake_gigachat/samples/", import.meta.url);
const STREAM = await Deno.readFile(new URL("v2chat_stream_response.sse", SAMPLES));

const PLAN: ChatPlan = {
  requestedModel: "GigaChat-3-Ultra",
  stream: true,
  includeUsage: true,
  stop: [],
  names: toolNamesFor([]),
  ignoredTools: [],
  hosted: { tools: [] },
  citations: false,
  legacyFunctions: false,
};

function streamOf(bytes: Uint8Array, cut: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice(0, cut));
      controller.enqueue(bytes.slice(cut));
      controller.close();
    },
  });
}

Deno.test("fromGigaChatV2Event maps each named event", async (t) => {
  await t.step("a delta: its parts as a v1 delta", () => {
    assert.deepEqual(
      fromGigaChatV2Event(
        "response.message.delta",
        '{"model":"M:1","messages":[{"role":"assistant","content":[{"text":"1, 2"}]}]}',
      ),
      { choices: [{ delta: { role: "assistant", content: "1, 2" }, index: 0 }], model: "M:1" },
    );
  });
  await t.step("done: the finish_reason and usage", () => {
    assert.deepEqual(
      fromGigaChatV2Event(
        "response.message.done",
        '{"finish_reason":"stop","usage":{"input_tokens":19,"input_tokens_details":{"cached_tokens":0},"output_tokens":8,"total_tokens":27}}',
      ),
      {
        choices: [{ delta: {}, index: 0, finish_reason: "stop" }],
        usage: {
          prompt_tokens: 19,
          completion_tokens: 8,
          total_tokens: 27,
          precached_prompt_tokens: 0,
        },
      },
    );
  });
  await t.step("a call arrives whole with its state id", () => {
    const chunk = fromGigaChatV2Event(
      "response.message.delta",
      '{"messages":[{"role":"assistant","tool_state_id":"s1","content":[{"function_call":{"name":"f","arguments":{"a":1}}}]}]}',
    );
    assert.deepEqual(chunk?.choices[0].delta, {
      role: "assistant",
      function_call: { name: "f", arguments: { a: 1 } },
      functions_state_id: "s1",
    });
  });
  await t.step("a hosted tool's progress, and an event with nothing to say: skipped", () => {
    assert.equal(
      fromGigaChatV2Event(
        "response.tool.completed",
        '{"messages":[{"role":"reasoning","content":[{"tool_execution":{"name":"web_search","status":"success"}}]}]}',
      ),
      undefined,
    );
    assert.equal(fromGigaChatV2Event("response.something.new", '{"model":"M"}'), undefined);
  });
  for (
    const [name, data, message] of [
      ["not JSON", "{oops", /not JSON/],
      ["not an object", "[1]", /not an object/],
      ["finish_reason error", '{"finish_reason":"error"}', /finish_reason "error"/],
    ] as const
  ) {
    await t.step(`${name}: a stream error`, () => {
      assert.throws(
        () => fromGigaChatV2Event("response.message.done", data),
        (error: unknown) => error instanceof GatewayError && message.test(error.message),
      );
    });
  }
});

Deno.test("the recorded v2 stream relays as chat chunks and ends on its done event, at any cut", async (t) => {
  for (const cut of [1, 30, 60, 100, 200, STREAM.length - 5]) {
    await t.step(`cut at byte ${cut}`, async () => {
      const mapper = new ChatChunkMapper(PLAN, { id: "chatcmpl-x", created: 1 });
      const stream = relayedChunks(
        streamOf(STREAM, cut),
        mapper,
        1,
        (data, name) => fromGigaChatV2Event(name, data),
      );
      const chunks = [...stream.opening()];
      while (true) {
        const { chunks: more, done } = await stream.next();
        chunks.push(...more);
        if (done) break;
      }
      chunks.push(...stream.closing());
      stream.release("complete");
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "1, 2, 3");
      assert.equal(chunks.at(-2)?.choices[0].finish_reason, "stop");
      assert.deepEqual(chunks.at(-1)?.usage, {
        prompt_tokens: 19,
        completion_tokens: 8,
        total_tokens: 27,
        prompt_tokens_details: { cached_tokens: 0 },
      });
    });
  }
});
