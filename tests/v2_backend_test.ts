// GigaChat's v2 chat API as the backend (issue #15): choosing it per model, what only v2 does
// (hosted web search, URL reading, image generation, native JSON schema, strict names) through
// every dialect's real client, and v2's own faults. The rest of the suite runs on v2 as well
// with GATEWAY_TEST_BACKEND=v2.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { GENERATED_IMAGE, SEARCH_SOURCES } from "../fake_gigachat/chat_v2.ts";
import { DEMO_KEY, postTo, type Stack, type StackOptions, startStack } from "./helpers/stack.ts";

const V2 = { GIGACHAT_BACKEND: "v2" };
const STATE = "019e8373-dc9a-7883-af60-ebb20b79e1e1";

async function withV2(
  options: StackOptions,
  body: (stack: Stack, ai: OpenAI) => Promise<void>,
): Promise<void> {
  const stack = await startStack({ ...options, env: { ...V2, ...options.env } });
  try {
    await body(stack, new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 }));
    const after = await fetch(`${stack.origin}/health`);
    assert.equal(after.status, 200);
    await after.body?.cancel();
  } finally {
    await stack.close();
  }
}

/** The raw v2 bodies the fake received. */
function v2Bodies(stack: Stack): Record<string, unknown>[] {
  return stack.fake.requestsTo("/v2/chat/completions").map((r) => JSON.parse(r.body));
}

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

Deno.test("GIGACHAT_MODEL_BACKENDS sends one model to v2; other models, embeddings and models stay on v1", async () => {
  const stack = await startStack({
    env: { GIGACHAT_BACKEND: "v1", GIGACHAT_MODEL_BACKENDS: "GigaChat-2-M*=v2" },
  });
  try {
    const ai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    const onV2 = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "Привет" }],
    });
    assert.match(onV2.choices[0].message.content ?? "", /Привет/);
    assert.deepEqual(onV2.usage, {
      prompt_tokens: 17,
      completion_tokens: 3,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 2 },
    });
    await ai.chat.completions.create({
      model: "GigaChat-2",
      messages: [{ role: "user", content: "x" }],
    });
    await ai.embeddings.create({ model: "Embeddings", input: "x" });
    await ai.models.list();
    const paths = stack.fake.requests.map((r) => r.path).filter((p) => p !== "/api/v2/oauth");
    assert.deepEqual(paths, [
      "/api/v2/chat/completions",
      "/api/v1/chat/completions",
      "/api/v1/embeddings",
      "/api/v1/models",
    ]);
    const backends = stack.logRecords().filter((r) => r.msg === "request" && r.backend)
      .map((r) => r.backend);
    assert.deepEqual(backends, ["v2", "v1"]);
  } finally {
    await stack.close();
  }
});

Deno.test("v2: a function round trip with tool_state_id, as the recorded samples have it", async () => {
  await withV2({}, async (stack, ai) => {
    stack.fake.scriptChat({
      functionCall: { name: "get_weather", arguments: { city: "Москва" } },
      functionsStateId: STATE,
    });
    const first = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "Погода в Москве?" }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.equal(first.choices[0].finish_reason, "tool_calls");
    assert.equal(call?.id, `call_${STATE}`);
    assert.equal(call?.type === "function" && call.function.arguments, '{"city":"Москва"}');
    const second = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [
        { role: "user", content: "Погода в Москве?" },
        first.choices[0].message,
        { role: "tool", tool_call_id: call!.id, content: "-5 °C, snow" },
      ],
      tools: [WEATHER_TOOL],
    });
    assert.match(second.choices[0].message.content ?? "", /simulated/);
    const [sent1, sent2] = v2Bodies(stack);
    assert.deepEqual(sent1.tool_config, { mode: "forced", function_name: "get_weather" });
    assert.deepEqual(sent1.tools, [{
      functions: {
        specifications: [{
          name: "get_weather",
          description: "Weather in a city",
          parameters: WEATHER_TOOL.function.parameters,
        }],
      },
    }]);
    assert.deepEqual((sent2.messages as unknown[]).slice(1), [
      {
        role: "assistant",
        content: [{ function_call: { name: "get_weather", arguments: { city: "Москва" } } }],
        tools_state_id: STATE,
      },
      {
        role: "tool",
        content: [{ function_result: { name: "get_weather", result: { result: "-5 °C, snow" } } }],
        tools_state_id: STATE,
      },
    ]);
    assert.deepEqual(sent2.tool_config, { mode: "auto" });
  });
});

Deno.test("v2: sampling settings go in model_options, json_schema natively with strict", async () => {
  const reasons = { MODEL_CAPABILITIES: '{"GigaChat-2-Max":{"reasoning":true}}' };
  await withV2({ env: reasons }, async (stack, ai) => {
    const completion = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "x" }],
      temperature: 0,
      max_completion_tokens: 100,
      reasoning_effort: "high",
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "answer",
          strict: true,
          schema: {
            type: "object",
            properties: { answer: { type: "string" } },
            required: ["answer"],
            additionalProperties: false,
          },
        },
      },
    });
    assert.deepEqual(JSON.parse(completion.choices[0].message.content ?? ""), {
      answer: "example",
    });
    const [sent] = v2Bodies(stack);
    assert.deepEqual(sent.messages, [
      { role: "system", content: [{ text: "Be brief." }] },
      { role: "user", content: [{ text: "x" }] },
    ]);
    assert.deepEqual(sent.model_options, {
      top_p: 0,
      max_tokens: 100,
      reasoning: { effort: "high" },
      response_format: {
        type: "json_schema",
        schema: {
          type: "object",
          properties: { answer: { type: "string" } },
          required: ["answer"],
          additionalProperties: false,
        },
        strict: true,
      },
    });
    assert.ok(!("tools" in sent), "no answer function on v2");
  });
});

Deno.test("v2: a function name v2 refuses travels renamed and comes back under its own name", async () => {
  await withV2({}, async (stack, ai) => {
    stack.fake.scriptChat({ functionCall: { name: "user_1st_lookup", arguments: { q: "x" } } });
    const completion = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "x" }],
      tools: [{
        type: "function",
        function: { name: "1st_lookup", parameters: { type: "object", properties: {} } },
      }],
    });
    const call = completion.choices[0].message.tool_calls?.[0];
    assert.equal(call?.type === "function" && call.function.name, "1st_lookup");
    const tools = v2Bodies(stack)[0].tools as {
      functions: { specifications: { name: string }[] };
    }[];
    assert.equal(tools[0].functions.specifications[0].name, "user_1st_lookup");
  });
});

Deno.test("v2: web_search_options in chat completions: GigaChat's web search, its sources as url_citation annotations", async () => {
  await withV2({}, async (stack, ai) => {
    const request = {
      model: "GigaChat-2-Max",
      messages: [{ role: "user" as const, content: "What is new in Python?" }],
      web_search_options: {},
    };
    const completion = await ai.chat.completions.create(request);
    const message = completion.choices[0].message;
    const text = message.content ?? "";
    // The fake cites source 2, then 1 and 2; both sources are listed.
    const annotations = message.annotations ?? [];
    assert.deepEqual(annotations.map((a) => a.url_citation.url), [
      SEARCH_SOURCES["2"].url,
      SEARCH_SOURCES["1"].url,
      SEARCH_SOURCES["2"].url,
    ]);
    const [first] = annotations;
    assert.equal(first.url_citation.title, SEARCH_SOURCES["2"].title);
    assert.equal(
      text.slice(first.url_citation.start_index, first.url_citation.end_index),
      "[sources=[2]]",
    );
    const [sent] = v2Bodies(stack);
    assert.deepEqual(sent.tools, [{ web_search: { type: "actual_info_web_search" } }]);
    assert.deepEqual(sent.tool_config, { mode: "auto" });

    // Streamed: the text as it comes, the annotations once the sources arrive.
    const chunks = [];
    for await (const chunk of await ai.chat.completions.create({ ...request, stream: true })) {
      chunks.push(chunk);
    }
    const streamed = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.equal(streamed, text);
    const streamedAnnotations = chunks.flatMap((c) =>
      ((c.choices[0]?.delta ?? {}) as { annotations?: typeof annotations }).annotations ?? []
    );
    assert.deepEqual(streamedAnnotations, annotations);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, "stop");
  });
});

Deno.test("v1: web search is named in X-Gateway-Tools-Ignored, and the answer still comes", async () => {
  const stack = await startStack({ env: { GIGACHAT_BACKEND: "v1" } });
  try {
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "x" }],
      web_search_options: {},
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-gateway-tools-ignored"), "web_search");
    const body = await response.json();
    assert.equal(body.choices[0].message.annotations, undefined);
  } finally {
    await stack.close();
  }
});

Deno.test("v2: Responses web_search: url_citation annotations on the output text, streamed too", async () => {
  await withV2({}, async (stack, ai) => {
    const request = {
      model: "GigaChat-2-Max",
      input: "What is new in Python?",
      tools: [{ type: "web_search" as const }],
      tool_choice: { type: "web_search_preview" as const },
    };
    const response = await ai.responses.create(request);
    const message = response.output.find((item) => item.type === "message");
    assert.ok(message?.type === "message");
    const part = message.content[0];
    assert.ok(part.type === "output_text");
    assert.equal(part.annotations.length, 3);
    const [first] = part.annotations;
    assert.ok(first.type === "url_citation");
    assert.equal(first.url, SEARCH_SOURCES["2"].url);
    assert.equal(part.text.slice(first.start_index, first.end_index), "[sources=[2]]");
    assert.deepEqual(v2Bodies(stack)[0].tool_config, { mode: "forced", tool_name: "web_search" });

    const stream = await ai.responses.create({ ...request, stream: true });
    const added = [];
    let completed;
    for await (const event of stream) {
      if (event.type === "response.output_text.annotation.added") added.push(event.annotation);
      if (event.type === "response.completed") completed = event.response;
    }
    assert.equal(added.length, 3);
    const done = completed?.output.find((item) => item.type === "message");
    assert.ok(done?.type === "message" && done.content[0].type === "output_text");
    assert.deepEqual(done.content[0].annotations, part.annotations);
  });
});

Deno.test("v2: Responses image_generation: the image GigaChat made, fetched and returned as base64", async () => {
  await withV2({}, async (stack, ai) => {
    const request = {
      model: "GigaChat-2-Max",
      input: "Draw a square icon",
      tools: [{ type: "image_generation" as const }],
      tool_choice: { type: "image_generation" as const },
    };
    const expected = GENERATED_IMAGE.toBase64();
    const response = await ai.responses.create(request);
    const image = response.output.find((item) => item.type === "image_generation_call");
    assert.ok(image?.type === "image_generation_call");
    assert.equal(image.result, expected);
    assert.equal(image.status, "completed");
    assert.match(response.output_text, /image has been created/);
    const fetched = stack.fake.requests.filter((r) => /\/files\/[^/]+\/content$/.test(r.path));
    assert.equal(fetched.length, 1);
    assert.equal(fetched[0].method, "GET");
    assert.deepEqual(v2Bodies(stack)[0].tools, [{ image_generate: {} }]);

    // A stream gets the same image as an output item.
    let streamed;
    for await (const event of await ai.responses.create({ ...request, stream: true })) {
      if (
        event.type === "response.output_item.done" && event.item.type === "image_generation_call"
      ) {
        streamed = event.item.result;
      }
    }
    assert.equal(streamed, expected);

    // The next turn carries the image item back; it is left out, and the turn goes on.
    const next = await ai.responses.create({
      model: "GigaChat-2-Max",
      previous_response_id: response.id,
      input: "Thanks",
    });
    assert.equal(next.status, "completed");
  });
});

Deno.test("v2: a generated image larger than the bound is a clear 502 naming where to fetch it", async () => {
  await withV2({}, async (stack) => {
    stack.fake.inject({
      path: "/content",
      status: 200,
      headers: { "content-type": "image/jpeg" },
      body: "x".repeat(16 * 1024 * 1024),
    });
    const response = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "Draw",
      tools: [{ type: "image_generation" }],
    });
    assert.equal(response.status, 502);
    const body = await response.json();
    assert.match(
      body.error.message,
      /larger than 15 MB; fetch it from \/v1\/files\/[^/]+\/content/,
    );
  });
});

Deno.test("v2: a generated image GigaChat cannot hand over is a 502 naming the file, not its 404", async () => {
  await withV2({}, async (stack) => {
    stack.fake.inject({
      path: "/content",
      status: 404,
      body: { status: 404, message: "File not found" },
    });
    const response = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "Draw",
      tools: [{ type: "image_generation" }],
    });
    assert.equal(response.status, 502);
    const body = await response.json();
    assert.match(
      body.error.message,
      /GigaChat made an image \(file [0-9a-f-]{36}\) but it could not be fetched/,
    );
  });
});

Deno.test("v2: n above 1 with a JSON schema while streaming is a 400 before the stream starts", async () => {
  await withV2({}, async (stack) => {
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat-2-Max",
      n: 2,
      stream: true,
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "json_object" },
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.param, "n");
  });
});

Deno.test("v2: Anthropic's web_search server tool: web_search_tool_result with the sources, and a tool round trip", async () => {
  await withV2({}, async (stack) => {
    const client = new Anthropic({ apiKey: DEMO_KEY, baseURL: stack.origin, maxRetries: 0 });
    const message = await client.messages.create({
      model: "GigaChat-2-Max",
      max_tokens: 100,
      messages: [{ role: "user", content: "What is new in Python?" }],
      tools: [{ type: "web_search_20250305", name: "web_search" }],
    });
    const types = message.content.map((block) => block.type);
    // The order a stream can give too: the sources are known once the text is whole.
    assert.deepEqual(types, ["text", "server_tool_use", "web_search_tool_result"]);
    const result = message.content[2];
    assert.ok(result.type === "web_search_tool_result" && Array.isArray(result.content));
    assert.deepEqual(result.content.map((page) => page.url), [
      SEARCH_SOURCES["2"].url,
      SEARCH_SOURCES["1"].url,
    ]);
    assert.equal(result.tool_use_id, (message.content[1] as { id: string }).id);
    assert.equal(message.usage.server_tool_use?.web_search_requests, 1);
    assert.equal(message.usage.server_tool_use?.web_fetch_requests, 0);
    // The fields @anthropic-ai/sdk's types require of these blocks.
    assert.deepEqual((message.content[1] as { caller?: unknown }).caller, { type: "direct" });
    assert.deepEqual(result.caller, { type: "direct" });

    // The blocks go back in history untouched, with a client tool this time.
    stack.fake.scriptChat({
      functionCall: { name: "get_weather", arguments: { city: "Москва" } },
      functionsStateId: STATE,
    });
    const withTool = await client.messages.create({
      model: "GigaChat-2-Max",
      max_tokens: 100,
      messages: [
        { role: "user", content: "What is new in Python?" },
        { role: "assistant", content: message.content },
        { role: "user", content: "And the weather?" },
      ],
      tools: [{
        name: "get_weather",
        input_schema: { type: "object", properties: { city: { type: "string" } } },
      }],
    });
    const use = withTool.content.find((block) => block.type === "tool_use");
    assert.equal(use?.type === "tool_use" && use.id, `toolu_${STATE}`);
    assert.equal(withTool.stop_reason, "tool_use");

    // Streamed: the same blocks, whole.
    const stream = client.messages.stream({
      model: "GigaChat-2-Max",
      max_tokens: 100,
      messages: [{ role: "user", content: "What is new in Python?" }],
      tools: [{ type: "web_search_20250305", name: "web_search" }],
    });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content.map((block) => block.type), types, "one order both ways");
  });
});

Deno.test("v2: GIGACHAT_V2_TOOLS offers URL reading on every request", async () => {
  await withV2({ env: { GIGACHAT_V2_TOOLS: "url_content_extraction" } }, async (stack, ai) => {
    const completion = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "Read https://docs.python.org/3/library/pathlib.html" }],
    });
    assert.match(completion.choices[0].message.content ?? "", /I read the page/);
    const [sent] = v2Bodies(stack);
    assert.deepEqual(sent.tools, [{ url_content_extraction: {} }]);
    assert.deepEqual(sent.tool_config, { mode: "auto" });
  });
});

Deno.test("v2: n above 1 is a 400 naming n", async () => {
  await withV2({}, async (stack) => {
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat-2-Max",
      n: 2,
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error.param, "n");
    assert.equal(stack.fake.requestsTo("/chat/completions").length, 0);
  });
});

Deno.test("v2 faults: statuses retried then answered, cut streams and finish_reason error as errors", async (t) => {
  await withV2({}, async (stack, ai) => {
    await t.step("a 503 then an answer: retried", async () => {
      stack.fake.inject({ path: "/v2/chat/completions", status: 503 });
      const completion = await ai.chat.completions.create({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "x" }],
      });
      assert.match(completion.choices[0].message.content ?? "", /simulated/);
    });
    await t.step("a 422 is the client's 400 with GigaChat's words", async () => {
      stack.fake.inject({
        path: "/v2/chat/completions",
        status: 422,
        body: { status: 422, message: "model_options.max_tokens: too large" },
      });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "x" }],
      });
      assert.equal(response.status, 400);
      assert.match((await response.json()).error.message, /max_tokens: too large/);
    });
    await t.step("finish_reason error without a stream: 502", async () => {
      stack.fake.scriptChat({ content: "half", finishReason: "error" });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "x" }],
      });
      assert.equal(response.status, 502);
      assert.match((await response.json()).error.message, /finish_reason "error"/);
    });
    await t.step("finish_reason error in a stream: an error event after the text", async () => {
      stack.fake.scriptChat({ content: "half an answer", finishReason: "error" });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        stream: true,
        messages: [{ role: "user", content: "x" }],
      });
      const text = await response.text();
      assert.match(text, /half/);
      assert.match(text, /"error":\{[^}]*finish_reason \\"error\\"/);
    });
    await t.step("a stream cut after one event: an error event, not a short answer", async () => {
      stack.fake.inject({ path: "/v2/chat/completions", cutAfterEvents: 1 });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        stream: true,
        messages: [{ role: "user", content: "count to ten" }],
      });
      const text = await response.text();
      assert.match(text, /"error":/);
      assert.ok(!text.includes('"finish_reason":"stop"'));
    });
    await t.step("a stream event that is not JSON: an error event", async () => {
      stack.fake.inject({ path: "/v2/chat/completions", rawEvent: "{not json" });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        stream: true,
        messages: [{ role: "user", content: "x" }],
      });
      assert.match(await response.text(), /not JSON/);
    });
  });
});
