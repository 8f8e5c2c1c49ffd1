// The Gemini API through Google's own SDK (@google/genai 1.30.0, the version Gemini CLI 0.61.0
// bundles) against the gateway and the fake GigaChat: what the SDK's types and parsers accept is
// the spec.
import assert from "node:assert/strict";
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type } from "@google/genai";
import { DEMO_KEY, type Stack, startStack, TEST_BACKEND, withStack } from "./helpers/stack.ts";

function client(stack: Stack, apiKey = DEMO_KEY): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: stack.origin } });
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an ApiError");
}

Deno.test("Gemini SDK: generateContent and its stream answer, with usage", async () => {
  await withStack({}, async (stack) => {
    const ai = client(stack);
    const answer = await ai.models.generateContent({
      model: "GigaChat-2-Max",
      contents: "Привет",
      config: { systemInstruction: "Be brief.", temperature: 0.5, maxOutputTokens: 100 },
    });
    assert.match(answer.text ?? "", /simulated GigaChat answer/);
    assert.equal(answer.candidates?.[0].finishReason, "STOP");
    assert.equal(answer.usageMetadata?.totalTokenCount, 20);
    const sent = stack.fake.chatBodies()[0];
    assert.equal((sent.messages as { role: string }[])[0].role, "system");
    assert.equal(sent.max_tokens, 100);

    let text = "";
    let last: unknown;
    for await (
      const chunk of await ai.models.generateContentStream({
        model: "GigaChat-2-Max",
        contents: [{ role: "user", parts: [{ text: "Hi" }] }],
      })
    ) {
      text += chunk.text ?? "";
      last = chunk;
    }
    assert.match(text, /simulated GigaChat answer\. You said: "Hi"/);
    const final = last as { candidates: { finishReason: string }[]; usageMetadata: unknown };
    assert.equal(final.candidates[0].finishReason, "STOP");
    assert.deepEqual(final.usageMetadata, {
      promptTokenCount: 17,
      candidatesTokenCount: 3,
      totalTokenCount: 20,
      cachedContentTokenCount: 2,
    });
  });
});

Deno.test("Gemini SDK: a function call goes out with an id and its response comes back", async () => {
  await withStack({}, async (stack) => {
    const ai = client(stack);
    stack.fake.scriptChat(
      { functionCall: { name: "get_weather", arguments: { city: "Moscow" } } },
      { content: "It is sunny in Moscow." },
    );
    const tools = [{
      functionDeclarations: [{
        name: "get_weather",
        description: "The weather in a city",
        parameters: {
          type: Type.OBJECT,
          properties: { city: { type: Type.STRING } },
          required: ["city"],
        },
      }],
    }];
    const first = await ai.models.generateContent({
      model: "GigaChat-2-Max",
      contents: "Weather in Moscow?",
      config: {
        tools,
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } },
      },
    });
    const call = first.functionCalls?.[0];
    assert.equal(call?.name, "get_weather");
    assert.deepEqual(call?.args, { city: "Moscow" });
    assert.ok(call?.id, "the call has an id");
    assert.equal(first.candidates?.[0].finishReason, "STOP");
    // The OpenAPI schema reached GigaChat as JSON Schema.
    const offered = (stack.fake.chatBodies()[0].functions as { parameters: unknown }[])[0];
    assert.deepEqual(offered.parameters, {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    });
    const second = await ai.models.generateContent({
      model: "GigaChat-2-Max",
      contents: [
        { role: "user", parts: [{ text: "Weather in Moscow?" }] },
        first.candidates?.[0].content ?? {},
        {
          role: "user",
          parts: [{
            functionResponse: { id: call?.id, name: "get_weather", response: { output: "sunny" } },
          }],
        },
      ],
      config: { tools },
    });
    assert.equal(second.text, "It is sunny in Moscow.");
    const messages = stack.fake.chatBodies()[1].messages as { role: string; content: string }[];
    const result = messages.find((message) => message.role === "function");
    assert.deepEqual(JSON.parse(result?.content ?? "{}"), { output: "sunny" });
  });
});

Deno.test("Gemini SDK: thoughts come as thought parts when asked, and go back signed", async () => {
  await withStack({ newHost: true }, async (stack) => {
    const ai = client(stack);
    const answer = await ai.models.generateContent({
      model: "GigaChat-2-Reasoning",
      contents: "Hi",
      config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } },
    });
    const parts = answer.candidates?.[0].content?.parts ?? [];
    const thought = parts.find((part) => part.thought === true);
    assert.match(thought?.text ?? "", /friendly answer fits/);
    assert.ok(thought?.thoughtSignature, "signed");
    assert.doesNotMatch(answer.text ?? "", /friendly answer fits/, "text leaves thoughts out");
    assert.equal(stack.fake.chatBodies()[0].reasoning_effort, "low");
    // Without includeThoughts, none.
    const plain = await ai.models.generateContent({
      model: "GigaChat-2-Reasoning",
      contents: "Hi",
    });
    assert.ok(!(plain.candidates?.[0].content?.parts ?? []).some((part) => part.thought));
    // A thought sent back (signed) is not taken for answer text.
    await ai.models.generateContent({
      model: "GigaChat-2-Reasoning",
      contents: [
        { role: "user", parts: [{ text: "Hi" }] },
        { role: "model", parts: parts },
        { role: "user", parts: [{ text: "And?" }] },
      ],
    });
    const history = stack.fake.chatBodies()[2].messages as { role: string; content: string }[];
    const assistant = history.find((message) => message.role === "assistant");
    assert.ok(assistant !== undefined);
    assert.doesNotMatch(assistant.content, /friendly answer fits/, "thoughts are not answer text");
  });
});

Deno.test("Gemini SDK: countTokens, embeddings and the model list", async () => {
  await withStack({}, async (stack) => {
    const ai = client(stack);
    const counted = await ai.models.countTokens({ model: "GigaChat-2-Max", contents: "Hi there" });
    assert.equal(typeof counted.totalTokens, "number");
    assert.ok((counted.totalTokens ?? 0) > 0);
    // Gemini CLI counts a function's response (with its image) alone, without its call.
    const fragment = await ai.models.countTokens({
      model: "GigaChat-2-Max",
      contents: [{
        role: "user",
        parts: [
          { functionResponse: { id: "x", name: "read_file", response: { output: "binary" } } },
          { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
        ],
      }],
    });
    assert.ok((fragment.totalTokens ?? 0) > 0);
    const embedded = await ai.models.embedContent({
      model: "Embeddings",
      contents: ["first", "second"],
    });
    assert.equal(embedded.embeddings?.length, 2);
    assert.ok((embedded.embeddings?.[0].values?.length ?? 0) > 0);
    const names: string[] = [];
    for await (const model of await ai.models.list({ config: { pageSize: 2 } })) {
      names.push(model.name ?? "");
      assert.ok(names.length < 100, "the pager ends");
    }
    assert.ok(names.includes("models/GigaChat-2-Max"), names.join());
    const one = await ai.models.get({ model: "GigaChat-2-Max" });
    assert.equal(one.name, "models/GigaChat-2-Max");
    assert.ok(one.supportedActions?.includes("generateContent"));
  });
});

Deno.test("Gemini SDK: structured output with an OpenAPI schema is checked JSON", async () => {
  await withStack({}, async (stack) => {
    const answer = await client(stack).models.generateContent({
      model: "GigaChat-2-Max",
      contents: "A city, please",
      config: {
        responseMimeType: "application/json",
        responseSchema: {
          type: Type.OBJECT,
          properties: { city: { type: Type.STRING }, people: { type: Type.INTEGER } },
          required: ["city", "people"],
        },
      },
    });
    const parsed = JSON.parse(answer.text ?? "");
    assert.equal(typeof parsed.city, "string");
    assert.equal(typeof parsed.people, "number");
  });
});

Deno.test("Gemini SDK: errors are Google's, with the status the SDK reports", async () => {
  await withStack({}, async (stack) => {
    const ai = client(stack);
    const unmapped = await apiError(
      ai.models.generateContent({ model: "gemini-2.5-flash", contents: "Hi" }),
    );
    assert.equal(unmapped.status, 404);
    assert.match(unmapped.message, /NOT_FOUND/);
    assert.match(unmapped.message, /MODEL_ALIASES/);
    const many = await apiError(
      ai.models.generateContent({
        model: "GigaChat-2-Max",
        contents: "Hi",
        config: { candidateCount: 2 },
      }),
    );
    assert.equal(many.status, 400);
    assert.match(many.message, /INVALID_ARGUMENT.*candidateCount|candidateCount.*INVALID_ARGUMENT/);
    stack.fake.inject({
      path: "/chat/completions",
      status: 429,
      times: 3,
      headers: { "Retry-After": "7" },
    });
    const limited = await apiError(
      ai.models.generateContent({ model: "GigaChat-2-Max", contents: "Hi" }),
    );
    assert.equal(limited.status, 429);
    const body = JSON.parse(limited.message);
    assert.equal(body.error.status, "RESOURCE_EXHAUSTED");
    assert.ok(
      body.error.details.some((detail: { retryDelay?: string }) => detail.retryDelay === "7s"),
      limited.message,
    );
  });
});

Deno.test("Gemini routes: keys as x-goog-api-key, ?key= or Bearer; Google's 401 without", async () => {
  const stack = await startStack({
    env: { GIGACHAT_CREDENTIALS: DEMO_KEY, PROXY_API_KEYS: "sk-team" },
  });
  try {
    const url = `${stack.origin}/v1beta/models/GigaChat-2-Max:generateContent`;
    const body = JSON.stringify({ contents: [{ parts: [{ text: "Hi" }] }] });
    const post = (target: string, headers: Record<string, string> = {}) =>
      fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    for (
      const response of [
        await post(url, { "x-goog-api-key": "sk-team" }),
        await post(`${url}?key=sk-team`),
        await post(url, { authorization: "Bearer sk-team" }),
      ]
    ) {
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    const refused = await post(url, { "x-goog-api-key": "sk-wrong" });
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.status, "UNAUTHENTICATED");
    // No key logged: the query string stays out of the log line.
    assert.ok(stack.logs.every((line) => !line.includes("sk-team")));
  } finally {
    await stack.close();
  }
});

Deno.test("Gemini routes: a stream without alt=sse is one JSON array; a break ends it in error", async () => {
  await withStack({}, async (stack) => {
    const url = `${stack.origin}/v1beta/models/GigaChat-2-Max:streamGenerateContent`;
    const init = {
      method: "POST",
      headers: { "x-goog-api-key": DEMO_KEY, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "Hi" }] }] }),
    };
    const array = await fetch(url, init);
    assert.match(array.headers.get("content-type") ?? "", /application\/json/);
    const items = await array.json();
    assert.ok(Array.isArray(items) && items.length >= 2);
    assert.equal(items.at(-1).candidates[0].finishReason, "STOP");
    // GigaChat breaks off mid-stream: the SSE ends with Google's error object on its own.
    stack.fake.inject({ path: "/chat/completions", cutAfterEvents: 2 });
    const broken = await fetch(`${url}?alt=sse`, init);
    assert.equal(broken.status, 200);
    const text = await broken.text();
    const tail = text.slice(text.lastIndexOf("\n") + 1);
    assert.match(tail, /^\{"error":\{"code":50\d,/, text);
    assert.doesNotMatch(text, /^: /m, "no SSE comments: the SDK's parser stops at them");
  });
});

Deno.test("Gemini SDK: a stream that breaks off mid-way is the SDK's ApiError, every time", async () => {
  await withStack({}, async (stack) => {
    for (let i = 0; i < 5; i++) {
      stack.fake.inject({ path: "/chat/completions", cutAfterEvents: 2 });
      const read = async () => {
        for await (
          const _ of await client(stack).models.generateContentStream({
            model: "GigaChat-2-Max",
            contents: "Hi",
          })
        ) {
          // Reading to the end.
        }
      };
      // The error object arrives on its own, after the events: the SDK reads it as Google's.
      const error = await apiError(read());
      assert.equal(error.status, 503, error.message);
    }
  });
});

Deno.test("Gemini SDK: line separators in the model's text do not break its stream parser", async () => {
  await withStack({}, async (stack) => {
    stack.fake.scriptChat({ content: "one\u2028two\u2029three" });
    let text = "";
    for await (
      const chunk of await client(stack).models.generateContentStream({
        model: "GigaChat-2-Max",
        contents: "Hi",
      })
    ) text += chunk.text ?? "";
    assert.equal(text, "one\u2028two\u2029three");
  });
});

Deno.test("Gemini routes: a model name with a slash under /v1, and a key no header can carry", async () => {
  await withStack({}, async (stack) => {
    const body = JSON.stringify({ contents: [{ parts: [{ text: "Hi" }] }] });
    const slashed = await fetch(`${stack.origin}/v1/models/GigaChat/Max:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": DEMO_KEY, "content-type": "application/json" },
      body,
    });
    const answer = await slashed.json();
    assert.equal(answer.error.status, "NOT_FOUND", "routed to Gemini: GigaChat has no such model");
    assert.doesNotMatch(answer.error.message, /Unknown endpoint/);
    const exchanges = stack.fake.oauthCalls;
    const odd = await fetch(
      `${stack.origin}/v1beta/models/GigaChat-2-Max:generateContent?key=%00%0d%0a`,
      { method: "POST", headers: { "content-type": "application/json" }, body },
    );
    assert.equal(odd.status, 401);
    assert.equal((await odd.json()).error.status, "UNAUTHENTICATED");
    assert.equal(stack.fake.oauthCalls, exchanges, "nothing reached GigaChat");
  });
});

Deno.test("Gemini routes: googleSearch runs on v2; on v1 it and codeExecution are named as left out", async () => {
  await withStack({}, async (stack) => {
    const response = await fetch(`${stack.origin}/v1beta/models/GigaChat-2-Max:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": DEMO_KEY, "content-type": "application/json" },
      body: JSON.stringify({
        contents: [{ parts: [{ text: "Latest Python?" }] }],
        tools: [{ googleSearch: {} }, { codeExecution: {} }],
      }),
    });
    assert.equal(response.status, 200);
    const ignored = response.headers.get("x-gateway-tools-ignored") ?? "";
    assert.match(ignored, /codeExecution/);
    if (TEST_BACKEND === "v1") assert.match(ignored, /web_search/);
    else assert.doesNotMatch(ignored, /web_search/);
    await response.body?.cancel();
  });
});
