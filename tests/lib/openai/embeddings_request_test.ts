import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import {
  type EmbeddingsRequest,
  parseEmbeddingsRequest,
} from "../../../lib/openai/embeddings_request.ts";

Deno.test("parseEmbeddingsRequest accepts OpenAI's request shapes", async (t) => {
  const rows: { name: string; body: unknown; expected: EmbeddingsRequest }[] = [
    { name: "a string", body: { input: "Hello, world!" }, expected: { input: "Hello, world!" } },
    {
      name: "strings with a model (samples/embeddings_request_multiple.json)",
      body: { input: ["First text", "Second text"], model: "Embeddings" },
      expected: { input: ["First text", "Second text"], model: "Embeddings" },
    },
    {
      name: "token ids",
      body: { input: [9906, 11, 1917, 0] },
      expected: { input: [9906, 11, 1917, 0] },
    },
    {
      name: "lists of token ids (LangChain)",
      body: { input: [[9906], [1917, 0]], model: "text-embedding-ada-002" },
      expected: { input: [[9906], [1917, 0]], model: "text-embedding-ada-002" },
    },
    {
      name: "an empty array (refused later, by toEmbeddingTexts)",
      body: { input: [] },
      expected: { input: [] },
    },
    {
      name: "encoding_format float",
      body: { input: "x", encoding_format: "float" },
      expected: { input: "x", encoding_format: "float" },
    },
    {
      name: "encoding_format base64 (the openai package's default)",
      body: { input: "x", encoding_format: "base64" },
      expected: { input: "x", encoding_format: "base64" },
    },
    {
      name: "nulls for the optional fields",
      body: { input: "x", model: null, encoding_format: null, dimensions: null },
      expected: { input: "x", model: null, encoding_format: null, dimensions: null },
    },
    {
      name: "dimensions",
      body: { input: "x", dimensions: 1024 },
      expected: { input: "x", dimensions: 1024 },
    },
    {
      name: "unknown fields (user) dropped",
      body: { input: "x", user: "user-1234", extra: { a: 1 } },
      expected: { input: "x" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(parseEmbeddingsRequest(row.body), row.expected));
  }
});

Deno.test("parseEmbeddingsRequest refuses bad shapes with a 400 naming the field", async (t) => {
  const rows: { name: string; body: unknown; param: string }[] = [
    { name: "no input", body: { model: "Embeddings" }, param: "input" },
    { name: "input null", body: { input: null }, param: "input" },
    { name: "input a number", body: { input: 5 }, param: "input" },
    { name: "input an object", body: { input: { text: "x" } }, param: "input" },
    { name: "strings and numbers mixed", body: { input: ["a", 2] }, param: "input" },
    { name: "numbers and strings mixed", body: { input: [1, "a"] }, param: "input" },
    { name: "a fractional token id", body: { input: [1.5] }, param: "input" },
    { name: "a negative token id", body: { input: [-1] }, param: "input[0]" },
    { name: "a string among token lists", body: { input: [[1], ["a"]] }, param: "input" },
    {
      name: "encoding_format int8",
      body: { input: "x", encoding_format: "int8" },
      param: "encoding_format",
    },
    {
      name: "encoding_format in capitals",
      body: { input: "x", encoding_format: "FLOAT" },
      param: "encoding_format",
    },
    { name: "dimensions 0", body: { input: "x", dimensions: 0 }, param: "dimensions" },
    { name: "dimensions fractional", body: { input: "x", dimensions: 1.5 }, param: "dimensions" },
    {
      name: "dimensions as a string",
      body: { input: "x", dimensions: "1024" },
      param: "dimensions",
    },
    { name: "model a number", body: { input: "x", model: 5 }, param: "model" },
    { name: "a null body", body: null, param: "body" },
    { name: "a string body", body: "input=x", param: "body" },
    { name: "an array body", body: [{ input: "x" }], param: "body" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.throws(() => parseEmbeddingsRequest(row.body), (error) => {
        assert.ok(error instanceof GatewayError);
        assert.deepEqual(
          { status: error.status, type: error.type, param: error.param, code: error.code },
          { status: 400, type: "invalid_request_error", param: row.param, code: null },
        );
        assert.ok(
          error.message.startsWith(`Invalid value for '${row.param}': `),
          `message: ${error.message}`,
        );
        return true;
      });
    });
  }
});

Deno.test("parseEmbeddingsRequest refuses more than 2048 inputs, as OpenAI does", () => {
  assert.throws(
    () => parseEmbeddingsRequest({ input: Array.from({ length: 2049 }, () => "a") }),
    (error: unknown) => error instanceof GatewayError && error.status === 400,
  );
  assert.equal(
    (parseEmbeddingsRequest({ input: Array.from({ length: 2048 }, () => "a") }).input as string[])
      .length,
    2048,
  );
});
