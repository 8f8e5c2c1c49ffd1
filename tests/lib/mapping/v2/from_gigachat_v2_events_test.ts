import assert from "node:assert/strict";
import { GatewayError } from "../../../../lib/errors.ts";
import {
  fromGigaChatV2Event,
  v2EventDecoder,
} from "../../../../lib/mapping/v2/from_gigachat_v2_events.ts";
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

/** A v2 stream body from (event, data) pairs. */
function sse(events: [string, unknown][]): ReadableStream<Uint8Array> {
  const text = events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
    .join("");
  return new Response(text).body!;
}

async function relay(body: ReadableStream<Uint8Array>, plan: ChatPlan = PLAN) {
  const mapper = new ChatChunkMapper(plan, { id: "chatcmpl-x", created: 1 });
  const stream = relayedChunks(body, mapper, 1, v2EventDecoder());
  const chunks = [...stream.opening()];
  while (true) {
    const { chunks: more, done } = await stream.next();
    chunks.push(...more);
    if (done) break;
  }
  chunks.push(...stream.closing());
  stream.release("complete");
  return chunks;
}

Deno.test("a v2 stream ends on its done event even when a delta names a finish_reason (review of #15)", async () => {
  const chunks = await relay(sse([
    ["response.message.delta", {
      messages: [{ role: "assistant", content: [{ text: "Hi" }], finish_reason: "stop" }],
    }],
    ["response.message.done", {
      finish_reason: "stop",
      usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 },
    }],
  ]));
  assert.deepEqual(chunks.at(-1)?.usage, {
    prompt_tokens: 5,
    completion_tokens: 7,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 0 },
  });
});

Deno.test("v2EventDecoder carries a tool_state_id sent before its call to the call", async () => {
  const chunks = await relay(sse([
    ["response.message.delta", {
      messages: [{
        role: "assistant",
        tool_state_id: "019e8373-0000-7883-af60-ebb20b79e1e1",
        content: [],
      }],
    }],
    ["response.message.delta", {
      messages: [{ role: "assistant", content: [{ function_call: { name: "f", arguments: {} } }] }],
    }],
    ["response.message.done", { finish_reason: "function_call" }],
  ]));
  const call = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0];
  assert.equal(call?.id, "call_019e8373-0000-7883-af60-ebb20b79e1e1");
});

Deno.test("a v2 answer's sources sent before the text still cite the markers (review of #15)", async () => {
  const chunks = await relay(
    sse([
      ["response.message.delta", {
        messages: [{
          role: "assistant",
          content: [{
            text: "",
            inline_data: { sources: { "1": { url: "https://a.example/", title: "A" } } },
          }],
        }],
      }],
      ["response.message.delta", {
        messages: [{ role: "assistant", content: [{ text: "Yes [sources=[1]]." }] }],
      }],
      ["response.message.done", { finish_reason: "stop" }],
    ]),
    { ...PLAN, citations: true },
  );
  const annotations = chunks.flatMap((c) => c.choices[0]?.delta.annotations ?? []);
  assert.deepEqual(annotations, [{
    type: "url_citation",
    url_citation: { url: "https://a.example/", title: "A", start_index: 4, end_index: 17 },
  }]);
  // Before the finish, so clients that stop reading at finish_reason have them.
  const finishAt = chunks.findIndex((c) => c.choices[0]?.finish_reason);
  const annotatedAt = chunks.findIndex((c) => c.choices[0]?.delta.annotations);
  assert.ok(annotatedAt < finishAt);
});

Deno.test("fromGigaChatV2Event refuses events whose messages are not what §9 says", async (t) => {
  const rows: [string, unknown][] = [
    ["content a number", { messages: [{ role: "assistant", content: 5 }] }],
    ["a null message", { messages: [null] }],
    ["a null part", { messages: [{ role: "assistant", content: [null] }] }],
    ["files not an array", { messages: [{ role: "assistant", content: [{ files: 3 }] }] }],
    ["text not a string", { messages: [{ role: "assistant", content: [{ text: 1 }] }] }],
    ["messages not an array", { messages: {} }],
    ["a nameless call", { messages: [{ role: "assistant", content: [{ function_call: {} }] }] }],
  ];
  for (const [name, data] of rows) {
    await t.step(name, () => {
      assert.throws(
        () => fromGigaChatV2Event("response.message.delta", JSON.stringify(data)),
        (error: unknown) =>
          error instanceof GatewayError && error.status === 502 &&
          /cannot read/.test(error.message),
      );
    });
  }
});

Deno.test("a skipped v2 event is a round with nothing to send, not a wait for the next", async () => {
  const mapper = new ChatChunkMapper(PLAN, { id: "chatcmpl-x", created: 1 });
  const stream = relayedChunks(
    sse([["response.tool.completed", { messages: [] }], ["response.message.done", {
      finish_reason: "stop",
    }]]),
    mapper,
    1,
    v2EventDecoder(),
  );
  stream.opening();
  assert.deepEqual(await stream.next(), { chunks: [], done: false });
  const last = await stream.next();
  assert.equal(last.done, true);
  stream.release("complete");
});
