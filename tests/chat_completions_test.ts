import assert from "node:assert/strict";
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { postTo, withStack } from "./helpers/stack.ts";

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const UUID = "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5";

Deno.test("chat.completions.create: a GigaChat answer in OpenAI's shape", async () => {
  await withStack({}, async (stack, ai) => {
    const completion = await ai.chat.completions.create({
      model: "GigaChat-2",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Привет" }],
    });
    assert.match(completion.id, /^chatcmpl-[0-9a-f]{32}$/);
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, "GigaChat-2");
    assert.equal(completion.system_fingerprint, "GigaChat-2:2.0.28.2");
    assert.ok(Math.abs(completion.created - Date.now() / 1000) < 60);
    const [choice] = completion.choices;
    assert.equal(choice.finish_reason, "stop");
    assert.equal(choice.message.role, "assistant");
    assert.match(choice.message.content ?? "", /simulated GigaChat answer.*Привет/);
    assert.deepEqual(completion.usage, {
      prompt_tokens: 17,
      completion_tokens: 3,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 2 },
    });
    const [sent] = stack.fake.chatBodies();
    assert.deepEqual(sent.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Привет" },
    ]);
  });
});

Deno.test("chat stream: role first, one id, finish_reason last, usage before [DONE]", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.scriptChat({ content: "", pieces: ["Один, ", "два, ", "три."] });
    const chunks = await collect(
      await ai.chat.completions.create({
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Считай" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.equal(text, "Один, два, три.");
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finishes.length, 1);
    assert.equal(finishes[0].choices[0].finish_reason, "stop");
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage?.total_tokens, 20);
    assert.equal(last.usage?.prompt_tokens_details?.cached_tokens, 2);
    assert.ok(chunks.indexOf(finishes[0]) < chunks.length - 1, "usage after the finish chunk");
  });
});

Deno.test("raw SSE: text/event-stream headers and a final data: [DONE]", async () => {
  await withStack({}, async (stack) => {
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    const text = await response.text();
    assert.ok(text.endsWith("data: [DONE]\n\n"));
    assert.ok(!text.includes('"usage"'), "no usage unless stream_options.include_usage");
  });
});

Deno.test("tool calls: function_call → tool_calls with call_<functions_state_id>, arguments as a string", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.scriptChat({
      functionCall: { name: "weather_forecast", arguments: { location: "Москва", num_days: 0 } },
      functionsStateId: UUID,
    });
    const tools = [{
      type: "function" as const,
      function: {
        name: "weather_forecast",
        description: "Weather",
        parameters: {
          type: "object",
          properties: { location: { type: "string" }, num_days: { type: "integer" } },
          required: ["location"],
          additionalProperties: false,
        },
        strict: true,
      },
    }];
    const first = await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [{ role: "user", content: "Погода в Москве?" }],
      tools,
    });
    const [choice] = first.choices;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls?.[0];
    assert.ok(call && call.type === "function");
    assert.equal(call.id, `call_${UUID}`);
    assert.equal(call.function.name, "weather_forecast");
    assert.deepEqual(JSON.parse(call.function.arguments), { location: "Москва", num_days: 0 });

    const sentTools = stack.fake.chatBodies()[0];
    assert.equal(sentTools.function_call, "auto");
    assert.deepEqual(sentTools.functions, [{
      name: "weather_forecast",
      description: "Weather",
      parameters: {
        type: "object",
        properties: { location: { type: "string" }, num_days: { type: "integer" } },
        required: ["location"],
      },
    }]);
    for (const key of ["tools", "tool_choice", "stream_options", "max_completion_tokens"]) {
      assert.ok(!(key in sentTools), `${key} is not sent upstream`);
    }

    await ai.chat.completions.create({
      model: "GigaChat-2-Max",
      messages: [
        { role: "user", content: "Погода в Москве?" },
        choice.message,
        { role: "tool", tool_call_id: call.id, content: "-5 °C, snow" },
      ],
      tools,
    });
    const history = (stack.fake.chatBodies()[1].messages as Record<string, unknown>[]).slice(1);
    assert.deepEqual(history, [
      {
        role: "assistant",
        content: "",
        function_call: { name: "weather_forecast", arguments: { location: "Москва", num_days: 0 } },
        functions_state_id: UUID,
      },
      { role: "function", name: "weather_forecast", content: '{"result":"-5 °C, snow"}' },
    ]);
  });
});

Deno.test("an OpenClaw-shaped turn: two tool calls in history, web_search renamed both ways, streamed", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.scriptChat({
      functionCall: { name: "user_web_search", arguments: { query: "GigaChat" } },
      functionsStateId: UUID,
    });
    const tool = (name: string) => ({
      type: "function" as const,
      function: {
        name,
        description: name,
        parameters: {
          type: "object",
          properties: {
            query: { type: "string" },
            headers: { type: "object", patternProperties: { ".*": { type: "string" } } },
          },
        },
      },
    });
    const chunks = await collect(
      await ai.chat.completions.create({
        model: "GigaChat-2-Max",
        stream: true,
        stream_options: { include_usage: true },
        max_completion_tokens: 8192,
        tool_choice: "auto",
        tools: [tool("read"), tool("web_search")],
        messages: [
          { role: "system", content: "You are OpenClaw." },
          { role: "user", content: "Look both up" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "call_a",
                type: "function",
                function: { name: "read", arguments: '{"query":"a"}' },
              },
              {
                id: "call_b",
                type: "function",
                function: { name: "web_search", arguments: '{"query":"b"}' },
              },
            ],
          },
          { role: "tool", tool_call_id: "call_a", content: '{"text":"A"}' },
          { role: "tool", tool_call_id: "call_b", content: "B" },
        ],
      }),
    );
    const sent = stack.fake.chatBodies()[0];
    assert.equal(sent.max_tokens, 8192);
    assert.equal(sent.stream, true);
    assert.deepEqual((sent.functions as { name: string }[]).map((f) => f.name), [
      "read",
      "user_web_search",
    ]);
    assert.deepEqual(
      (sent.messages as Record<string, unknown>[]).map((m) => [m.role, m.name ?? m.function_call]),
      [
        ["system", undefined],
        ["user", undefined],
        ["assistant", { name: "read", arguments: { query: "a" } }],
        ["function", "read"],
        ["assistant", { name: "user_web_search", arguments: { query: "b" } }],
        ["function", "user_web_search"],
      ],
    );
    const toolDeltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    assert.equal(toolDeltas.length, 1);
    assert.deepEqual(toolDeltas[0], {
      index: 0,
      id: `call_${UUID}`,
      type: "function",
      function: { name: "web_search", arguments: '{"query":"GigaChat"}' },
    });
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    assert.equal(finish?.choices[0].finish_reason, "tool_calls");
    assert.equal(chunks.at(-1)?.usage?.total_tokens, 20);
  });
});

Deno.test("request validation: 400 naming the field, before any upstream call", async (t) => {
  const rows: { name: string; body: Record<string, unknown>; param: string }[] = [
    { name: "no messages", body: { model: "GigaChat" }, param: "messages" },
    {
      name: "bad role",
      body: { model: "GigaChat", messages: [{ role: "robot", content: "x" }] },
      param: "messages[0].role",
    },
    {
      name: "unknown tool_call_id",
      body: {
        model: "GigaChat",
        messages: [{ role: "user", content: "x" }, {
          role: "tool",
          tool_call_id: "call_x",
          content: "1",
        }],
      },
      param: "messages[1].tool_call_id",
    },
    {
      name: "arguments not JSON",
      body: {
        model: "GigaChat",
        messages: [
          {
            role: "assistant",
            content: null,
            tool_calls: [{
              id: "c1",
              type: "function",
              function: { name: "f", arguments: "{oops" },
            }],
          },
          { role: "tool", tool_call_id: "c1", content: "1" },
        ],
      },
      param: "messages[0].tool_calls[0].function.arguments",
    },
    {
      name: "temperature out of range",
      body: { model: "GigaChat", messages: [{ role: "user", content: "x" }], temperature: 3 },
      param: "temperature",
    },
  ];
  await withStack({}, async (stack) => {
    for (const row of rows) {
      await t.step(row.name, async () => {
        const response = await postTo(stack, "/chat/completions", row.body);
        assert.equal(response.status, 400);
        const body = await response.json();
        assert.equal(body.error.type, "invalid_request_error");
        assert.equal(body.error.param, row.param);
      });
    }
    assert.equal(stack.fake.chatBodies().length, 0);
  });
});

Deno.test("malformed JSON and oversized bodies are refused with 400 and 413", async () => {
  await withStack({ env: { MAX_BODY_BYTES: "2048" } }, async (stack) => {
    const post = (body: string) => postTo(stack, "/chat/completions", body);
    const broken = await post('{"model": "GigaChat", ');
    assert.equal(broken.status, 400);
    assert.match((await broken.json()).error.message, /not valid JSON/);
    const huge = await post(
      JSON.stringify({
        model: "GigaChat",
        messages: [{ role: "user", content: "x".repeat(5000) }],
      }),
    );
    assert.equal(huge.status, 413);
    assert.equal((await huge.json()).error.code, "request_too_large");
  });
});

Deno.test("parameters: temperature 0 → top_p 0, max_tokens clamped, GigaChat extras passed", async () => {
  await withStack({ env: { MAX_OUTPUT_TOKENS: "1000" } }, async (stack, ai) => {
    await ai.chat.completions.create({
      model: "GigaChat",
      messages: [{ role: "user", content: "x" }],
      temperature: 0,
      max_tokens: 5000,
      // @ts-expect-error GigaChat-only fields, as extra body fields
      repetition_penalty: 1.1,
      extra_body: { profanity_check: false },
    });
    const [sent] = stack.fake.chatBodies();
    assert.equal(sent.top_p, 0);
    assert.ok(!("temperature" in sent));
    assert.equal(sent.max_tokens, 1000);
    assert.equal(sent.repetition_penalty, 1.1);
    assert.equal(sent.profanity_check, false);
    assert.ok(!("extra_body" in sent));
  });
});

Deno.test("stop sequences cut the answer in both modes, with finish_reason stop", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.scriptChat({ content: "one two END three" });
    const plain = await ai.chat.completions.create({
      model: "GigaChat",
      messages: [{ role: "user", content: "x" }],
      stop: ["END"],
    });
    assert.equal(plain.choices[0].message.content, "one two ");
    assert.equal(plain.choices[0].finish_reason, "stop");

    stack.fake.scriptChat({ content: "", pieces: ["one E", "N", "D three", " four"] });
    const chunks = await collect(
      await ai.chat.completions.create({
        model: "GigaChat",
        messages: [{ role: "user", content: "x" }],
        stop: "END",
        stream: true,
      }),
    );
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "one ");
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
    assert.ok(!("stop" in stack.fake.chatBodies()[1]));
  });
});

Deno.test("errors before the first byte are HTTP errors; after it, an error event ends the stream", async () => {
  await withStack({}, async (stack, ai) => {
    await assert.rejects(
      ai.chat.completions.create({
        model: "NoSuchModel",
        messages: [{ role: "user", content: "x" }],
        stream: true,
      }),
      (error: unknown) => error instanceof OpenAI.NotFoundError && error.code === "model_not_found",
    );
    stack.fake.inject({ path: "/chat/completions", cutAfterEvents: 2 });
    stack.fake.scriptChat({ content: "", pieces: ["a ", "b ", "c ", "d"] });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        const stream = await ai.chat.completions.create({
          model: "GigaChat",
          messages: [{ role: "user", content: "x" }],
          stream: true,
        });
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      })(),
      (error: unknown) => error instanceof OpenAI.APIError,
    );
    assert.equal(seen.join(""), "a b ", "what arrived before the break was delivered");
    // The gateway is still serving.
    const after = await ai.chat.completions.create({
      model: "GigaChat",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(after.choices[0].finish_reason, "stop");
  });
});

Deno.test("a client that leaves mid-stream aborts the upstream stream", async () => {
  await withStack({ fake: { chunkDelayMs: 100 } }, async (stack) => {
    stack.fake.scriptChat({ content: "", pieces: Array.from({ length: 30 }, (_, i) => `${i} `) });
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat",
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    const started = performance.now();
    while (stack.fake.abandonedStreams === 0 && performance.now() - started < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stack.fake.abandonedStreams, 1, "the fake saw its stream closed within 2 s");
  });
});

Deno.test("an idle stream gets keep-alive comments (STREAM_KEEPALIVE_MS)", async () => {
  await withStack(
    { env: { STREAM_KEEPALIVE_MS: "100" }, fake: { chunkDelayMs: 500 } },
    async (stack) => {
      stack.fake.scriptChat({ content: "", pieces: ["slow ", "answer"] });
      const response = await postTo(stack, "/chat/completions", {
        model: "GigaChat",
        stream: true,
        messages: [{ role: "user", content: "x" }],
      });
      const text = await response.text();
      assert.match(text, /^: keep-alive$/m);
      assert.ok(text.endsWith("data: [DONE]\n\n"));
    },
  );
});

Deno.test("legacy functions/function_call: answered with message.function_call, streams too", async () => {
  await withStack({}, async (stack) => {
    const functions = [{
      name: "weather_forecast",
      description: "Weather",
      parameters: { type: "object", properties: { location: { type: "string" } } },
    }];
    const call = { functionCall: { name: "weather_forecast", arguments: { location: "Москва" } } };
    stack.fake.scriptChat(call, call);
    const ask = (extra: object) =>
      postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: [{ role: "user", content: "Погода в Москве?" }],
        functions,
        ...extra,
      });

    const plain = await (await ask({ function_call: { name: "weather_forecast" } })).json();
    assert.deepEqual(plain.choices[0].message.function_call, {
      name: "weather_forecast",
      arguments: '{"location":"Москва"}',
    });
    assert.equal(plain.choices[0].message.tool_calls, undefined);
    assert.equal(plain.choices[0].finish_reason, "function_call");
    const sent = stack.fake.chatBodies()[0];
    assert.deepEqual(sent.function_call, { name: "weather_forecast" });
    assert.equal((sent.functions as unknown[]).length, 1);

    const streamed = await (await ask({ stream: true })).text();
    const chunks = streamed.split("\n\n").filter((event) => event.startsWith("data: {")).map(
      (event) => JSON.parse(event.slice(6)),
    );
    const deltas = chunks.map((chunk) => chunk.choices[0]);
    assert.deepEqual(deltas.find((d) => d.delta.function_call)?.delta.function_call, {
      name: "weather_forecast",
      arguments: '{"location":"Москва"}',
    });
    assert.ok(!deltas.some((d) => d.delta.tool_calls), "no tool_calls deltas");
    assert.equal(deltas.at(-1).finish_reason, "function_call");

    // The next turn sends the call and its result back in the legacy shape.
    await postTo(stack, "/chat/completions", {
      model: "GigaChat-2-Max",
      messages: [
        { role: "user", content: "Погода в Москве?" },
        { role: "assistant", content: null, function_call: plain.choices[0].message.function_call },
        { role: "function", name: "weather_forecast", content: "-5 °C" },
      ],
      functions,
      function_call: "none",
    });
    const third = stack.fake.chatBodies()[2];
    assert.equal(third.functions, undefined, "function_call none sends no functions");
    assert.deepEqual((third.messages as unknown[]).slice(1), [
      {
        role: "assistant",
        content: "",
        function_call: { name: "weather_forecast", arguments: { location: "Москва" } },
      },
      { role: "function", name: "weather_forecast", content: '{"result":"-5 °C"}' },
    ]);

    const both = await ask({ tools: [{ type: "function", function: functions[0] }] });
    assert.equal(both.status, 400);
    assert.equal((await both.json()).error.param, "functions");
  });
});
