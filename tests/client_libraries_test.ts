// The other clients people point at the gateway: LangChain JS and the Vercel AI SDK, each with
// its own request shapes (tool schemas, stream handling, structured output).
import assert from "node:assert/strict";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatOpenAI } from "@langchain/openai";
import { tool as langchainTool } from "@langchain/core/tools";
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";

const UUID = "5e1f0c1a-9a7b-4c3d-8e2f-1a2b3c4d5e6f";

async function withStack(body: (stack: Stack) => Promise<void>) {
  const stack = await startStack();
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

function langchain(stack: Stack): ChatOpenAI {
  return new ChatOpenAI({
    model: "GigaChat-2-Max",
    apiKey: DEMO_KEY,
    configuration: { baseURL: stack.baseURL },
    maxRetries: 0,
  });
}

function aiSdk(stack: Stack) {
  return createOpenAICompatible({
    name: "gigachat",
    baseURL: stack.baseURL,
    apiKey: DEMO_KEY,
    includeUsage: true,
  })("GigaChat-2-Max");
}

Deno.test("LangChain ChatOpenAI: invoke and stream", async () => {
  await withStack(async (stack) => {
    stack.fake.scriptChat({ content: "Привет от GigaChat" }, {
      content: "",
      pieces: ["раз ", "два ", "три"],
    });
    const model = langchain(stack);
    const reply = await model.invoke("Привет");
    assert.equal(reply.content, "Привет от GigaChat");
    assert.equal(reply.usage_metadata?.total_tokens, 20);

    let text = "";
    for await (const chunk of await model.stream("Считай")) text += chunk.content;
    assert.equal(text, "раз два три");
  });
});

Deno.test("LangChain bindTools and withStructuredOutput", async () => {
  await withStack(async (stack) => {
    stack.fake.scriptChat(
      {
        functionCall: { name: "get_weather", arguments: { city: "Казань" } },
        functionsStateId: UUID,
      },
      { functionCall: { name: "Answer", arguments: { city: "Казань", celsius: 3 } } },
    );
    const getWeather = langchainTool(() => "3", {
      name: "get_weather",
      description: "Weather for a city",
      schema: z.object({ city: z.string() }),
    });
    const withTools = langchain(stack).bindTools([getWeather]);
    const message = await withTools.invoke("Погода в Казани?");
    assert.deepEqual(message.tool_calls?.map((c) => [c.name, c.args, c.id]), [
      ["get_weather", { city: "Казань" }, `call_${UUID}`],
    ]);

    const structured = langchain(stack).withStructuredOutput(
      z.object({ city: z.string(), celsius: z.number() }),
      { name: "Answer" },
    );
    assert.deepEqual(await structured.invoke("Погода в Казани?"), { city: "Казань", celsius: 3 });
  });
});

Deno.test("AI SDK generateText with a tool loop, and streamText", async () => {
  await withStack(async (stack) => {
    stack.fake.scriptChat(
      { functionCall: { name: "add", arguments: { a: 2, b: 3 } }, functionsStateId: UUID },
      { content: "2 + 3 = 5" },
      { content: "", pieces: ["по", "ток"] },
    );
    const result = await generateText({
      model: aiSdk(stack),
      prompt: "Сколько будет 2 + 3?",
      tools: {
        add: tool({
          description: "Adds two numbers",
          inputSchema: z.object({ a: z.number(), b: z.number() }),
          execute: ({ a, b }) => Promise.resolve({ sum: a + b }),
        }),
      },
      stopWhen: stepCountIs(3),
    });
    assert.equal(result.text, "2 + 3 = 5");
    assert.equal(result.steps.length, 2);
    const replay = (stack.fake.chatBodies()[1].messages as Record<string, unknown>[]).slice(-2);
    assert.deepEqual(replay[0].function_call, { name: "add", arguments: { a: 2, b: 3 } });
    assert.equal(replay[0].functions_state_id, UUID);
    assert.deepEqual(JSON.parse(replay[1].content as string), { sum: 5 });

    const streamed = streamText({ model: aiSdk(stack), prompt: "Поток?" });
    let text = "";
    for await (const part of streamed.textStream) text += part;
    assert.equal(text, "поток");
    assert.equal((await streamed.usage).totalTokens, 20);
    assert.equal(await streamed.finishReason, "stop");
  });
});

Deno.test("AI SDK generateObject (json_object mode with the schema in the prompt)", async () => {
  await withStack(async (stack) => {
    stack.fake.scriptChat({ content: '{"name":"Чебурашка","friends":["Гена"]}' });
    const { object } = await generateObject({
      model: aiSdk(stack),
      schema: z.object({ name: z.string(), friends: z.array(z.string()) }),
      schemaName: "response",
      prompt: "Кто это?",
    });
    assert.deepEqual(object, { name: "Чебурашка", friends: ["Гена"] });
    const [sent] = stack.fake.chatBodies();
    assert.ok(!("response_format" in sent));
    assert.match(JSON.stringify(sent.messages), /JSON object/);
  });
});

Deno.test("AI SDK streamText with a tool: the call streams, runs, and the answer streams", async () => {
  await withStack(async (stack) => {
    stack.fake.scriptChat(
      { functionCall: { name: "lookup", arguments: { city: "Омск" } }, functionsStateId: UUID },
      { content: "", pieces: ["В Омске ", "−20."] },
    );
    const calls: unknown[] = [];
    const result = streamText({
      model: aiSdk(stack),
      prompt: "Погода в Омске?",
      tools: {
        lookup: tool({
          description: "Weather for a city",
          inputSchema: z.object({ city: z.string() }),
          execute: (input) => {
            calls.push(input);
            return Promise.resolve({ celsius: -20 });
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    let text = "";
    for await (const part of result.textStream) text += part;
    assert.equal(text, "В Омске −20.");
    assert.deepEqual(calls, [{ city: "Омск" }]);
    assert.equal((await result.steps).length, 2);
    const replay = (stack.fake.chatBodies()[1].messages as Record<string, unknown>[]).at(-1);
    assert.deepEqual(replay, { role: "function", name: "lookup", content: '{"celsius":-20}' });
  });
});
