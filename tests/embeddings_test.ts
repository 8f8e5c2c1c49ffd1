import assert from "node:assert/strict";
import OpenAI from "openai";
import { getEncoding } from "js-tiktoken";
import { vectorFor } from "../fake_gigachat/embeddings.ts";
import { postTo, withStack } from "./helpers/stack.ts";

/** What a float vector looks like after the float32 round trip of base64. */
const asFloat32 = (vector: number[]) => vector.map((value) => Math.fround(value));

Deno.test("embeddings through the openai client: base64 by default, decoded to the same vectors", async () => {
  await withStack({}, async (stack, ai) => {
    const result = await ai.embeddings.create({ model: "Embeddings", input: ["Привет", "мир"] });
    assert.equal(result.object, "list");
    assert.equal(result.model, "Embeddings");
    assert.equal(result.data.length, 2);
    assert.deepEqual(result.data[0].embedding, asFloat32(vectorFor("Привет", 1024)));
    assert.deepEqual(result.data[1].embedding, asFloat32(vectorFor("мир", 1024)));
    assert.deepEqual(result.data.map((d) => d.index), [0, 1]);
    // Per-item usage summed: ceil(6/4)+5 + ceil(3/4)+5 in the fake.
    assert.deepEqual(result.usage, { prompt_tokens: 13, total_tokens: 13 });
    const [sent] = stack.fake.bodiesTo("/embeddings");
    assert.deepEqual(sent, { model: "Embeddings", input: ["Привет", "мир"] });
  });
});

Deno.test("embeddings: encoding_format float, one string, and the default model", async () => {
  await withStack({ env: { EMBEDDINGS_MODEL: "EmbeddingsGigaR" } }, async (stack) => {
    const response = await postTo(stack, "/embeddings", { input: "one", encoding_format: "float" });
    const body = await response.json();
    assert.equal(response.status, 200);
    assert.equal(body.model, "EmbeddingsGigaR");
    assert.deepEqual(body.data[0].embedding, vectorFor("one", 2560));
  });
});

Deno.test("embeddings: token-id input (LangChain) is decoded with cl100k_base", async () => {
  await withStack({}, async (stack, ai) => {
    const encoding = getEncoding("cl100k_base");
    await ai.embeddings.create({
      model: "Embeddings",
      input: [encoding.encode("hello world"), encoding.encode("Привет, мир")],
    });
    await ai.embeddings.create({ model: "Embeddings", input: encoding.encode("single") });
    const [first, second] = stack.fake.bodiesTo("/embeddings");
    assert.deepEqual(first.input, ["hello world", "Привет, мир"]);
    assert.deepEqual(second.input, ["single"]);
  });
});

Deno.test("embeddings: large inputs are split into batches and re-assembled in order", async () => {
  await withStack({ env: { EMBEDDINGS_BATCH_SIZE: "2" } }, async (stack, ai) => {
    const texts = ["a", "bb", "ccc", "dddd", "eeeee"];
    const result = await ai.embeddings.create({
      model: "Embeddings",
      input: texts,
      encoding_format: "float",
    });
    // Batches run in parallel, so they may reach the fake in any order.
    const sent = stack.fake.bodiesTo("/embeddings").map((b) => b.input as string[]);
    assert.deepEqual(sent.sort((x, y) => x[0].localeCompare(y[0])), [
      ["a", "bb"],
      ["ccc", "dddd"],
      ["eeeee"],
    ]);
    assert.deepEqual(result.data.map((d) => d.index), [0, 1, 2, 3, 4]);
    texts.forEach((text, i) => assert.deepEqual(result.data[i].embedding, vectorFor(text, 1024)));
    assert.equal(result.usage.prompt_tokens, 5 * 6 + 1);
  });
});

Deno.test("embeddings: bad input is a 400 naming the field, before any upstream call", async (t) => {
  const rows = [
    { name: "empty string", body: { model: "Embeddings", input: "" }, param: "input" },
    { name: "empty array", body: { model: "Embeddings", input: [] }, param: "input" },
    { name: "empty item", body: { model: "Embeddings", input: ["a", ""] }, param: "input[1]" },
    { name: "wrong type", body: { model: "Embeddings", input: [{ text: "a" }] }, param: "input" },
    {
      name: "dimensions the model lacks",
      body: { model: "Embeddings", input: "a", dimensions: 512 },
      param: "dimensions",
    },
  ];
  await withStack({}, async (stack) => {
    for (const row of rows) {
      await t.step(row.name, async () => {
        const response = await postTo(stack, "/embeddings", row.body);
        assert.equal(response.status, 400);
        assert.equal((await response.json()).error.param, row.param);
      });
    }
    assert.equal(stack.fake.bodiesTo("/embeddings").length, 0);
  });
});

Deno.test("embeddings: OpenAI model names through MODEL_ALIASES; the model's own dimensions pass", async () => {
  await withStack(
    { env: { MODEL_ALIASES: '{"text-embedding-3-small":"Embeddings"}' } },
    async (stack, ai) => {
      const result = await ai.embeddings.create({
        model: "text-embedding-3-small",
        input: "x",
        dimensions: 1024,
      });
      assert.equal(result.model, "text-embedding-3-small");
      assert.equal(stack.fake.bodiesTo("/embeddings")[0].model, "Embeddings");
      await assert.rejects(
        ai.embeddings.create({ model: "GigaChat-2", input: "x" }),
        (error: unknown) => error instanceof OpenAI.NotFoundError,
      );
    },
  );
});

Deno.test("embeddings: a model named like an Object.prototype member is just an unknown model", async (t) => {
  await withStack({}, async (stack) => {
    for (const model of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      await t.step(model, async () => {
        const response = await postTo(stack, "/embeddings", { model, input: "hi", dimensions: 7 });
        const { error } = await response.json();
        assert.equal(response.status, 404, JSON.stringify(error));
        assert.equal(error.code, "model_not_found");
        assert.doesNotMatch(error.message, /function|native code|\[object/);
      });
    }
  });
});
