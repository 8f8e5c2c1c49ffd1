import assert from "node:assert/strict";
import {
  type GigaChatEmbeddings,
  type OpenAIEmbeddings,
  toBase64Float32,
  toOpenAIEmbeddings,
} from "../../../lib/mapping/to_openai_embeddings.ts";

// The first three floats of each vector in samples/embeddings_response_*.json (1024 in full).
const MULTIPLE: GigaChatEmbeddings = {
  model: "Embeddings",
  data: [
    {
      index: 0,
      embedding: [0.88623046875, 0.367919921875, 0.314697265625],
      usage: { prompt_tokens: 7 },
    },
    {
      index: 1,
      embedding: [0.90869140625, 0.0302276611328125, -0.1724853515625],
      usage: { prompt_tokens: 7 },
    },
  ],
};
const SINGLE: GigaChatEmbeddings = {
  model: "Embeddings",
  data: [{
    index: 0,
    embedding: [0.53857421875, -0.568359375, 0.1676025390625],
    usage: { prompt_tokens: 9 },
  }],
};

Deno.test("toOpenAIEmbeddings assembles OpenAI's list from GigaChat's batches", async (t) => {
  const rows: {
    name: string;
    batches: GigaChatEmbeddings[];
    options: { model: string; encoding: "float" | "base64" };
    expected: OpenAIEmbeddings;
  }[] = [
    {
      name: "samples/embeddings_response_multiple.json: per-item usage summed (§2)",
      batches: [MULTIPLE],
      options: { model: "text-embedding-3-small", encoding: "float" },
      expected: {
        object: "list",
        data: [
          {
            object: "embedding",
            index: 0,
            embedding: [0.88623046875, 0.367919921875, 0.314697265625],
          },
          {
            object: "embedding",
            index: 1,
            embedding: [0.90869140625, 0.0302276611328125, -0.1724853515625],
          },
        ],
        model: "text-embedding-3-small",
        usage: { prompt_tokens: 14, total_tokens: 14 },
      },
    },
    {
      name: "indexes run on across batches, usage summed over all of them",
      batches: [MULTIPLE, SINGLE],
      options: { model: "Embeddings", encoding: "float" },
      expected: {
        object: "list",
        data: [
          {
            object: "embedding",
            index: 0,
            embedding: [0.88623046875, 0.367919921875, 0.314697265625],
          },
          {
            object: "embedding",
            index: 1,
            embedding: [0.90869140625, 0.0302276611328125, -0.1724853515625],
          },
          {
            object: "embedding",
            index: 2,
            embedding: [0.53857421875, -0.568359375, 0.1676025390625],
          },
        ],
        model: "Embeddings",
        usage: { prompt_tokens: 23, total_tokens: 23 },
      },
    },
    {
      name: "items sorted by their index within a batch",
      batches: [
        {
          data: [
            { index: 2, embedding: [3], usage: { prompt_tokens: 3 } },
            { index: 0, embedding: [1], usage: { prompt_tokens: 1 } },
            { index: 1, embedding: [2], usage: { prompt_tokens: 2 } },
          ],
        },
        {
          data: [
            { index: 1, embedding: [5], usage: { prompt_tokens: 5 } },
            { index: 0, embedding: [4], usage: { prompt_tokens: 4 } },
          ],
        },
      ],
      options: { model: "m", encoding: "float" },
      expected: {
        object: "list",
        data: [
          { object: "embedding", index: 0, embedding: [1] },
          { object: "embedding", index: 1, embedding: [2] },
          { object: "embedding", index: 2, embedding: [3] },
          { object: "embedding", index: 3, embedding: [4] },
          { object: "embedding", index: 4, embedding: [5] },
        ],
        model: "m",
        usage: { prompt_tokens: 15, total_tokens: 15 },
      },
    },
    {
      name: "missing usage and index count as 0, order kept",
      batches: [{ data: [{ embedding: [1] }, { embedding: [2], usage: {} }] }],
      options: { model: "m", encoding: "float" },
      expected: {
        object: "list",
        data: [
          { object: "embedding", index: 0, embedding: [1] },
          { object: "embedding", index: 1, embedding: [2] },
        ],
        model: "m",
        usage: { prompt_tokens: 0, total_tokens: 0 },
      },
    },
    {
      name: "base64: little-endian float32",
      batches: [{ data: [{ index: 0, embedding: [1, -2.5], usage: { prompt_tokens: 2 } }] }],
      options: { model: "m", encoding: "base64" },
      expected: {
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: "AACAPwAAIMA=" }],
        model: "m",
        usage: { prompt_tokens: 2, total_tokens: 2 },
      },
    },
    {
      name: "base64 of the samples across batches",
      batches: [MULTIPLE, SINGLE],
      options: { model: "Embeddings", encoding: "base64" },
      expected: {
        object: "list",
        data: [
          { object: "embedding", index: 0, embedding: "AOBiPwBgvD4AIKE+" },
          { object: "embedding", index: 1, embedding: "AKBoPwCg9zwAoDC+" },
          { object: "embedding", index: 2, embedding: "AOAJPwCAEb8AoCs+" },
        ],
        model: "Embeddings",
        usage: { prompt_tokens: 23, total_tokens: 23 },
      },
    },
    {
      name: "no batches",
      batches: [],
      options: { model: "m", encoding: "float" },
      expected: {
        object: "list",
        data: [],
        model: "m",
        usage: { prompt_tokens: 0, total_tokens: 0 },
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const before = structuredClone(row.batches);
      assert.deepEqual(toOpenAIEmbeddings(row.batches, row.options), row.expected);
      assert.deepEqual(row.batches, before, "the batches are not changed");
    });
  }
});

function decodeFloat32(base64: string): number[] {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

Deno.test("toBase64Float32 decodes back to the float32 values", async (t) => {
  const rows: { name: string; vector: number[]; expected: number[] }[] = [
    { name: "exact in float32", vector: [1, -2.5, 0, 0.5], expected: [1, -2.5, 0, 0.5] },
    {
      name: "rounded to float32",
      vector: [0.1, -0.2, 1 / 3],
      expected: [Math.fround(0.1), Math.fround(-0.2), Math.fround(1 / 3)],
    },
    {
      name: "tiny and huge",
      vector: [1e-40, 3.4e38, -1e-7],
      expected: [Math.fround(1e-40), Math.fround(3.4e38), Math.fround(-1e-7)],
    },
    { name: "empty", vector: [], expected: [] },
    {
      name: "longer than one 32 KB block of bytes (8193 floats)",
      vector: Array.from({ length: 8193 }, (_, i) => i / 8),
      expected: Array.from({ length: 8193 }, (_, i) => i / 8),
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const encoded = toBase64Float32(row.vector);
      assert.equal(encoded.length, Math.ceil((row.vector.length * 4) / 3) * 4);
      assert.deepEqual(decodeFloat32(encoded), row.expected);
    });
  }
});
