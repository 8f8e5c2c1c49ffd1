// The Responses API over the chat pipeline, through openai-node's responses client.
import assert from "node:assert/strict";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import { z } from "zod";
import { DEMO_KEY, postTo, startStack, TEST_BACKEND, withStack } from "./helpers/stack.ts";

const UUID = "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5";
const OTHER_KEY = btoa("other-client:other-secret");

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather in a city",
  strict: false,
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};

Deno.test("responses.create: text in, a Response with output_text, usage and the asked model", async () => {
  await withStack({}, async (stack, ai) => {
    const response = await ai.responses.create({
      model: "GigaChat-2-Max",
      instructions: "Be brief.",
      input: "Привет",
    });
    assert.match(response.id, /^resp_/);
    assert.equal(response.object, "response");
    assert.equal(response.status, "completed");
    assert.equal(response.model, "GigaChat-2-Max");
    assert.match(response.output_text, /simulated GigaChat answer.*Привет/);
    assert.equal(response.output[0].type, "message");
    assert.deepEqual(response.usage, {
      input_tokens: 17,
      input_tokens_details: { cached_tokens: 2 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 20,
    });
    const sent = stack.fake.chatBodies()[0].messages as { role: string; content: string }[];
    assert.deepEqual(sent.map((m) => m.role), ["system", "user"]);
    assert.equal(sent[0].content, "Be brief.");
  });
});

Deno.test("responses.stream: the event sequence the SDK assembles, with increasing sequence numbers", async () => {
  await withStack({}, async (_stack, ai) => {
    const stream = ai.responses.stream({ model: "GigaChat-2-Max", input: "Привет" });
    const types: string[] = [];
    const numbers: number[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      numbers.push(event.sequence_number);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    const final = await stream.finalResponse();
    assert.equal(types[0], "response.created");
    assert.equal(types[1], "response.in_progress");
    assert.equal(types.at(-1), "response.completed");
    for (
      const expected of [
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
      ]
    ) assert.ok(types.includes(expected), expected);
    assert.deepEqual(numbers, numbers.map((_, i) => i));
    assert.equal(final.output_text, text);
    assert.equal(final.usage?.total_tokens, 20);
  });
});

Deno.test("a tool round trip: function_call out, function_call_output back, call ids kept", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.scriptChat({
      functionCall: { name: "get_weather", arguments: { city: "Москва" } },
      functionsStateId: UUID,
    });
    const first = await ai.responses.create({
      model: "GigaChat-2-Max",
      input: "Погода в Москве?",
      tools: [WEATHER, { type: "web_search" }],
      store: false,
    });
    const call = first.output.find((item) => item.type === "function_call");
    assert.ok(call && call.type === "function_call");
    assert.equal(call.call_id, `call_${UUID}`);
    assert.equal(call.name, "get_weather");
    assert.deepEqual(JSON.parse(call.arguments), { city: "Москва" });
    assert.deepEqual(
      (stack.fake.chatBodies()[0].functions as { name: string }[]).map((fn) => fn.name),
      ["get_weather"],
      "the hosted web_search is left out",
    );
    await ai.responses.create({
      model: "GigaChat-2-Max",
      input: [
        { role: "user", content: "Погода в Москве?" },
        call,
        { type: "function_call_output", call_id: call.call_id, output: "-5 °C" },
      ],
      tools: [WEATHER],
    });
    const history = (stack.fake.chatBodies()[1].messages as Record<string, unknown>[]).slice(1);
    assert.deepEqual(history, [
      {
        role: "assistant",
        content: "",
        function_call: { name: "get_weather", arguments: { city: "Москва" } },
        functions_state_id: UUID,
      },
      { role: "function", name: "get_weather", content: '{"result":"-5 °C"}' },
    ]);
  });
});

Deno.test("a hosted tool GigaChat lacks is left out and named in X-Gateway-Tools-Ignored", async () => {
  await withStack({}, async (stack) => {
    const response = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "hi",
      tools: [
        { type: "file_search", vector_store_ids: ["vs_1"] },
        { type: "web_search", external_web_access: false },
        WEATHER,
      ],
    });
    assert.equal(response.status, 200);
    // Web search is GigaChat's own on v2, and only there.
    assert.equal(
      response.headers.get("x-gateway-tools-ignored"),
      TEST_BACKEND === "v1" ? "file_search, web_search" : "file_search",
    );
    await response.body?.cancel();
  });
});

Deno.test("text.format json_schema is checked and repaired as in chat", async () => {
  await withStack({}, async (stack, ai) => {
    stack.fake.scriptChat(
      { functionCall: { name: "city", arguments: { name: 5 } } },
      { functionCall: { name: "city", arguments: { name: "Москва" } } },
    );
    const response = await ai.responses.create({
      model: "GigaChat-2-Max",
      input: "Столица?",
      text: {
        format: {
          type: "json_schema",
          name: "city",
          schema: {
            type: "object",
            properties: { name: { type: "string" } },
            required: ["name"],
            additionalProperties: false,
          },
          strict: true,
        },
      },
    });
    assert.deepEqual(JSON.parse(response.output_text), { name: "Москва" });
    assert.equal(stack.fake.chatBodies().length, 2, "one repair");
  });
});

Deno.test("server-side mode: stored responses belong to the proxy key that made them", async () => {
  const stack = await startStack({
    env: { GIGACHAT_CREDENTIALS: DEMO_KEY, PROXY_API_KEYS: "alice-key,bob-key" },
  });
  try {
    const alice = new OpenAI({ apiKey: "alice-key", baseURL: stack.baseURL, maxRetries: 0 });
    const bob = new OpenAI({ apiKey: "bob-key", baseURL: stack.baseURL, maxRetries: 0 });
    const first = await alice.responses.create({ model: "GigaChat-2-Max", input: "Секрет Алисы" });
    assert.equal((await alice.responses.retrieve(first.id)).id, first.id);
    // Both keys use the gateway's one GigaChat key, yet Bob sees none of Alice's.
    await assert.rejects(bob.responses.retrieve(first.id), OpenAI.NotFoundError);
    await assert.rejects(bob.responses.inputItems.list(first.id), OpenAI.NotFoundError);
    await assert.rejects(bob.responses.delete(first.id), OpenAI.NotFoundError);
    await assert.rejects(
      bob.responses.create({
        model: "GigaChat-2-Max",
        input: "Что там?",
        previous_response_id: first.id,
      }),
      (error: unknown) =>
        error instanceof OpenAI.BadRequestError && error.code === "previous_response_not_found" &&
        error.param === "previous_response_id",
    );
    await alice.responses.create({
      model: "GigaChat-2-Max",
      input: "Дальше",
      previous_response_id: first.id,
    });
  } finally {
    await stack.close();
  }
});

Deno.test("previous_response_id continues a stored response, only for the key that made it", async () => {
  const stack = await startStack({
    fake: { keys: { [DEMO_KEY]: ["GIGACHAT_API_PERS"], [OTHER_KEY]: ["GIGACHAT_API_PERS"] } },
  });
  try {
    const ai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    const first = await ai.responses.create({ model: "GigaChat-2-Max", input: "Меня зовут Аня." });
    await ai.responses.create({
      model: "GigaChat-2-Max",
      input: "Как меня зовут?",
      previous_response_id: first.id,
    });
    const sent = stack.fake.chatBodies()[1].messages as { role: string; content: string }[];
    assert.deepEqual(sent.map((m) => m.role), ["user", "assistant", "user"]);
    assert.equal(sent[0].content, "Меня зовут Аня.");
    assert.equal(sent[1].content, first.output_text);

    const again = await ai.responses.retrieve(first.id);
    assert.equal(again.id, first.id);
    const items = await ai.responses.inputItems.list(first.id);
    assert.equal(items.data.length, 1);

    // Another key that GigaChat accepts sees none of it.
    const other = new OpenAI({ apiKey: OTHER_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    await assert.rejects(other.responses.retrieve(first.id), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      return true;
    });
    await assert.rejects(
      other.responses.create({
        model: "GigaChat-2-Max",
        input: "Как меня зовут?",
        previous_response_id: first.id,
      }),
      (error: unknown) =>
        error instanceof OpenAI.BadRequestError && error.code === "previous_response_not_found" &&
        /restarted/.test(error.message),
    );
    await ai.responses.delete(first.id);
    await assert.rejects(ai.responses.retrieve(first.id), OpenAI.NotFoundError);
  } finally {
    await stack.close();
  }
});

Deno.test("Responses: what the gateway cannot do is a 400 naming it", async (t) => {
  await withStack({}, async (stack) => {
    const rows: [string, Record<string, unknown>, string][] = [
      ["background", { background: true }, "background"],
      ["conversation", { conversation: "conv_1" }, "conversation"],
      ["an unknown item", { input: [{ type: "item_reference", id: "x" }] }, "input[0].type"],
      ["an unknown tool", { tools: [{ type: "telepathy" }] }, "tools[0].type"],
    ];
    for (const [name, extra, param] of rows) {
      await t.step(name, async () => {
        const response = await postTo(stack, "/responses", {
          model: "GigaChat-2-Max",
          input: "hi",
          ...extra,
        });
        const { error } = await response.json();
        assert.equal(response.status, 400, JSON.stringify(error));
        assert.equal(error.param, param);
      });
    }
    assert.equal(stack.fake.chatBodies().length, 0);
  });
});

Deno.test("reasoning arrives as a reasoning item, and its encrypted_content goes back as history", async () => {
  await withStack({ newHost: true }, async (stack, ai) => {
    const first = await ai.responses.create({
      model: "GigaChat-2-Reasoning",
      input: "Привет",
      reasoning: { effort: "high", summary: "auto" },
      include: ["reasoning.encrypted_content"],
      store: false,
    });
    const reasoning = first.output.find((item) => item.type === "reasoning");
    assert.ok(reasoning && reasoning.type === "reasoning");
    assert.equal(
      reasoning.summary[0]?.text,
      "The user wrote to me; a short, friendly answer fits.",
    );
    assert.ok(reasoning.encrypted_content);
    assert.doesNotMatch(first.output_text, /user wrote/);
    assert.equal(stack.fake.chatBodies()[0].reasoning_effort, "high");
    // A stateless client (Codex) sends the items back; the reasoning reaches GigaChat's history.
    await ai.responses.create({
      model: "GigaChat-2-Reasoning",
      input: [
        { role: "user", content: "Привет" },
        { ...reasoning, summary: [] },
        ...first.output.filter((item) => item.type === "message"),
        { role: "user", content: "Ещё раз?" },
      ],
      store: false,
    });
    const sent = stack.fake.chatBodies()[1].messages as Record<string, unknown>[];
    assert.equal(sent[1].role, "assistant");
    // v2 takes no reasoning back: how it would is not documented (lib/mapping/v2).
    assert.equal(
      sent[1].reasoning_content,
      TEST_BACKEND === "v1" ? "The user wrote to me; a short, friendly answer fits." : undefined,
    );
  });
});

Deno.test("the AI SDK's OpenAI provider in Responses mode: generateText and streamText with a tool", async () => {
  await withStack({}, async (stack) => {
    const openai = createOpenAI({ baseURL: stack.baseURL, apiKey: DEMO_KEY });
    stack.fake.scriptChat(
      { functionCall: { name: "weather", arguments: { city: "Москва" } }, functionsStateId: UUID },
      { content: "В Москве -5 °C." },
    );
    const weather = tool({
      description: "Weather in a city",
      inputSchema: z.object({ city: z.string() }),
      execute: ({ city }) => Promise.resolve(`${city}: -5 °C`),
    });
    const result = await generateText({
      model: openai.responses("GigaChat-2-Max"),
      prompt: "Погода в Москве?",
      tools: { weather },
      stopWhen: stepCountIs(3),
    });
    assert.equal(result.text, "В Москве -5 °C.");
    assert.equal(result.steps.length, 2);
    const followUp = stack.fake.chatBodies()[1].messages as { role: string; content: string }[];
    assert.ok(followUp.some((m) => m.role === "function" && m.content.includes("-5 °C")));

    const streamed = streamText({ model: openai.responses("GigaChat-2-Max"), prompt: "Поток?" });
    assert.match(await streamed.text, /simulated GigaChat answer/);
    assert.ok((await streamed.usage).totalTokens! > 0);
  });
});

Deno.test("Responses: store false keeps nothing; prompt_cache_key is GigaChat's X-Session-ID", async () => {
  await withStack({}, async (stack, ai) => {
    const response = await ai.responses.create({
      model: "GigaChat-2-Max",
      input: "hi",
      store: false,
      prompt_cache_key: "session-42",
    });
    await assert.rejects(ai.responses.retrieve(response.id), OpenAI.NotFoundError);
    assert.equal(
      stack.fake.requestsTo("/chat/completions")[0].headers["x-session-id"],
      "session-42",
    );
    // A client's own X-Session-ID wins.
    await fetch(`${stack.baseURL}/responses`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${DEMO_KEY}`,
        "Content-Type": "application/json",
        "X-Session-ID": "mine",
      },
      body: JSON.stringify({ model: "GigaChat-2-Max", input: "hi", prompt_cache_key: "other" }),
    }).then((r) => r.body?.cancel());
    assert.equal(stack.fake.requestsTo("/chat/completions")[1].headers["x-session-id"], "mine");
  });
});

Deno.test("Responses: an image in the input is uploaded and attached", async () => {
  await withStack({}, async (stack, ai) => {
    const png = new Uint8Array(64);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const url = `data:image/png;base64,${btoa(String.fromCharCode(...png))}`;
    await ai.responses.create({
      model: "GigaChat-2-Max",
      input: [{
        role: "user",
        content: [
          { type: "input_text", text: "What is it?" },
          { type: "input_image", image_url: url, detail: "auto" },
        ],
      }],
    });
    const user = (stack.fake.chatBodies()[0].messages as { attachments?: string[] }[])[0];
    assert.equal(user.attachments?.length, 1);
    assert.equal(stack.fake.files.uploads.length, 1);
  });
});

Deno.test("Responses: a stream that breaks after its first byte ends with error and response.failed", async () => {
  await withStack({}, async (stack) => {
    stack.fake.inject({ path: "/chat/completions", cutAfterEvents: 2 });
    const response = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "one two three four five six seven eight nine ten eleven twelve",
      stream: true,
    });
    assert.equal(response.status, 200);
    const events = (await response.text()).split("\n\n").filter((e) => e.startsWith("event: "));
    const names = events.map((e) => e.split("\n")[0].slice(7));
    assert.equal(names[0], "response.created");
    assert.deepEqual(names.slice(-2), ["error", "response.failed"]);
    assert.ok(names.includes("response.output_text.delta"), "text had started");
    const data = (name: string) =>
      events.filter((e) => e.startsWith(`event: ${name}\n`)).map((e) =>
        JSON.parse(e.slice(e.indexOf("data: ") + 6))
      );
    // The message cut short is incomplete, not completed, and the code is one of OpenAI's.
    assert.equal(data("response.output_item.done").at(-1).item.status, "incomplete");
    const failed = data("response.failed")[0].response;
    assert.equal(failed.output.at(-1).status, "incomplete");
    assert.equal(failed.error.code, "server_error");
  });
});

Deno.test("input_items: this response's own input, each with an id, newest first, paged as the SDK pages", async () => {
  await withStack({}, async (stack) => {
    const ai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    const first = await ai.responses.create({ model: "GigaChat-2-Max", input: "Меня зовут Аня." });
    const second = await ai.responses.create({
      model: "GigaChat-2-Max",
      previous_response_id: first.id,
      input: [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "c" }] },
      ],
    });
    const textOf = (item: unknown) => (item as { content: { text: string }[] }).content[0].text;
    const page = await ai.responses.inputItems.list(second.id, { limit: 2 });
    assert.deepEqual(page.data.map(textOf), ["c", "b"], "newest first, its own input only");
    assert.ok(page.data.every((item) => typeof item.id === "string" && item.id !== ""));
    assert.equal(page.has_more, true);
    const all = [];
    for await (const item of ai.responses.inputItems.list(second.id, { limit: 2 })) {
      all.push(textOf(item));
    }
    assert.deepEqual(all, ["c", "b", "a"], "the SDK pages through with after");
    const ascending = await ai.responses.inputItems.list(second.id, { order: "asc" });
    assert.deepEqual(ascending.data.map(textOf), ["a", "b", "c"]);
    assert.equal(ascending.has_more, false);
    // The same ids every time: they were given when the response was stored.
    const again = await ai.responses.inputItems.list(second.id, { order: "asc" });
    assert.deepEqual(again.data.map((item) => item.id), ascending.data.map((item) => item.id));
    await assert.rejects(
      ai.responses.inputItems.list(second.id, { after: "msg_nope" }),
      OpenAI.BadRequestError,
    );
    const firstItems = await ai.responses.inputItems.list(first.id);
    assert.deepEqual(firstItems.data.map(textOf), ["Меня зовут Аня."]);
  });
});

Deno.test("a stored conversation is a chain of turns: each stores itself, and is read back whole", async () => {
  await withStack({}, async (stack) => {
    const ai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    let previous: string | undefined;
    for (let turn = 1; turn <= 5; turn++) {
      const response = await ai.responses.create({
        model: "GigaChat-2-Max",
        input: `turn ${turn}`,
        ...(previous ? { previous_response_id: previous } : {}),
      });
      previous = response.id;
    }
    const sent = stack.fake.chatBodies().at(-1)!.messages as { role: string; content: string }[];
    assert.deepEqual(
      sent.filter((m) => m.role === "user").map((m) => m.content),
      ["turn 1", "turn 2", "turn 3", "turn 4", "turn 5"],
    );
    assert.equal(sent.filter((m) => m.role === "assistant").length, 4);
    const items = await ai.responses.inputItems.list(previous!);
    assert.equal(items.data.length, 1, "a turn stores its own input only");
  });
});

Deno.test("a response too large to store says store: false, and continuing it is previous_response_not_found", async () => {
  await withStack({ env: { RESPONSES_STORE_MAX_BYTES: "2000" } }, async (stack) => {
    const big = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "x".repeat(3000),
    });
    assert.equal(big.headers.get("x-gateway-stored"), "false");
    const body = await big.json();
    assert.equal(body.store, false, "it does not claim to be stored");
    const next = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "and?",
      previous_response_id: body.id,
    });
    assert.equal(next.status, 400);
    assert.equal((await next.json()).error.code, "previous_response_not_found");
    // A streamed one says so in response.completed.
    const streamed = await postTo(stack, "/responses", {
      model: "GigaChat-2-Max",
      input: "y".repeat(3000),
      stream: true,
    });
    const text = await streamed.text();
    const completed = text.split("\n\n").find((e) => e.startsWith("event: response.completed"))!;
    assert.equal(
      JSON.parse(completed.slice(completed.indexOf("data: ") + 6)).response.store,
      false,
    );
  });
});

Deno.test("a chain whose earlier turn is gone is refused by name, not answered without it", async () => {
  await withStack({ env: { RESPONSES_STORE_MAX: "2" } }, async (stack) => {
    const ai = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    const first = await ai.responses.create({ model: "GigaChat-2-Max", input: "one" });
    const second = await ai.responses.create({
      model: "GigaChat-2-Max",
      input: "two",
      previous_response_id: first.id,
    });
    const third = await ai.responses.create({
      model: "GigaChat-2-Max",
      input: "three",
      previous_response_id: second.id,
    });
    await assert.rejects(
      ai.responses.create({
        model: "GigaChat-2-Max",
        input: "four",
        previous_response_id: third.id,
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError, String(error));
        assert.equal(error.code, "previous_response_not_found");
        // Reading a chain makes its turns recent, the newest last: the first turn went first.
        assert.match(error.message, new RegExp(`earlier response '${first.id}'`));
        return true;
      },
    );
  });
});
