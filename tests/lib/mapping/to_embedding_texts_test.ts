import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import {
  toBatches,
  toEmbeddingTexts,
  type TokenDecoder,
} from "../../../lib/mapping/to_embedding_texts.ts";
import type { EmbeddingsRequest } from "../../../lib/openai/embeddings_request.ts";

/** A stand-in for cl100k_base: 0 → "a", 1 → "b", …; records what it was asked. */
function letters() {
  const calls: number[][] = [];
  const decode: TokenDecoder = (ids) => {
    calls.push([...ids]);
    return ids.map((id) => String.fromCharCode(97 + id)).join("");
  };
  return { decode, calls };
}

const refuse: TokenDecoder = () => {
  throw new Error("the decoder must not be called for text input");
};

Deno.test("toEmbeddingTexts turns every input shape into strings", async (t) => {
  const rows: {
    name: string;
    input: EmbeddingsRequest["input"];
    expected: string[];
    decoded: number[][];
  }[] = [
    { name: "a string", input: "Hello, world!", expected: ["Hello, world!"], decoded: [] },
    {
      name: "strings (samples/embeddings_request_multiple.json shape)",
      input: ["Привет", "мир"],
      expected: ["Привет", "мир"],
      decoded: [],
    },
    { name: "one space is not empty", input: " ", expected: [" "], decoded: [] },
    {
      name: "token ids: one text",
      input: [7, 4, 11, 11, 14],
      expected: ["hello"],
      decoded: [[7, 4, 11, 11, 14]],
    },
    {
      name: "lists of token ids (LangChain's OpenAIEmbeddings)",
      input: [[0, 1], [2], [25, 24]],
      expected: ["ab", "c", "zy"],
      decoded: [[0, 1], [2], [25, 24]],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { decode, calls } = letters();
      const usesTokens = row.decoded.length > 0;
      assert.deepEqual(toEmbeddingTexts(row.input, usesTokens ? decode : refuse), row.expected);
      assert.deepEqual(calls, row.decoded);
    });
  }
});

Deno.test("toEmbeddingTexts refuses empty input as OpenAI does", async (t) => {
  const rows: {
    name: string;
    input: EmbeddingsRequest["input"];
    param: string;
    message: string;
  }[] = [
    {
      name: "an empty string",
      input: "",
      param: "input",
      message: "'input' must not be an empty string.",
    },
    {
      name: "an empty array",
      input: [],
      param: "input",
      message: "'input' must not be an empty array.",
    },
    {
      name: "an empty first string",
      input: ["", "b"],
      param: "input[0]",
      message: "'input[0]' must not be empty.",
    },
    {
      name: "an empty third string",
      input: ["a", "b", ""],
      param: "input[2]",
      message: "'input[2]' must not be empty.",
    },
    {
      name: "an empty token list",
      input: [[1], []],
      param: "input[1]",
      message: "'input[1]' must not be empty.",
    },
    {
      name: "a token list that decodes to nothing",
      input: [[1], [0]],
      param: "input[1]",
      message: "'input[1]' must not be empty.",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const decode: TokenDecoder = (ids) => ids[0] === 0 ? "" : "x";
      assert.throws(() => toEmbeddingTexts(row.input, decode), (error) => {
        assert.ok(error instanceof GatewayError);
        assert.deepEqual(
          {
            status: error.status,
            type: error.type,
            param: error.param,
            code: error.code,
            message: error.message,
          },
          {
            status: 400,
            type: "invalid_request_error",
            param: row.param,
            code: null,
            message: row.message,
          },
        );
        return true;
      });
    });
  }
});

Deno.test("toBatches splits items into consecutive batches", async (t) => {
  const rows: { name: string; items: string[]; size: number; expected: string[][] }[] = [
    { name: "nothing", items: [], size: 90, expected: [] },
    { name: "fewer than a batch", items: ["a", "b"], size: 90, expected: [["a", "b"]] },
    { name: "exactly a batch", items: ["a", "b", "c"], size: 3, expected: [["a", "b", "c"]] },
    { name: "one over", items: ["a", "b", "c", "d"], size: 3, expected: [["a", "b", "c"], ["d"]] },
    {
      name: "several, order kept",
      items: ["a", "b", "c", "d", "e"],
      size: 2,
      expected: [["a", "b"], ["c", "d"], ["e"]],
    },
    { name: "size 1", items: ["a", "b", "c"], size: 1, expected: [["a"], ["b"], ["c"]] },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(toBatches(row.items, row.size), row.expected));
  }
});
