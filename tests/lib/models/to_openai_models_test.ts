import assert from "node:assert/strict";
import { BUILT_IN_CAPABILITIES } from "../../../lib/model_capabilities.ts";
import {
  type OpenAIModel,
  toOpenAIModel,
  toOpenAIModels,
  withCapabilities,
} from "../../../lib/models/to_openai_models.ts";

const CREATED = 1_700_000_000;

// Recorded GigaChat GET /models answer (fake_gigachat/samples/models_list.json).
const SAMPLE = JSON.parse(
  await Deno.readTextFile(
    new URL("../../../fake_gigachat/samples/models_list.json", import.meta.url),
  ),
) as unknown;

const SAMPLE_IDS = [
  "GigaChat",
  "GigaChat-2",
  "GigaChat-2-Max",
  "GigaChat-2-Max-preview",
  "GigaChat-2-Pro",
  "GigaChat-2-Pro-preview",
  "GigaChat-2-preview",
  "GigaChat-Max",
  "GigaChat-Max-preview",
  "GigaChat-Plus",
  "GigaChat-Pro",
  "GigaChat-Pro-preview",
  "GigaChat-preview",
  "GigaFilter",
  "GigaCheckClassification",
  "GigaCheckDetection",
  "Embeddings",
  "Embeddings-2",
  "EmbeddingsGigaR",
  "GigaEmbeddings-3B-2025-09",
];

Deno.test("toOpenAIModel maps one GigaChat model entry", async (t) => {
  const rows: { name: string; entry: unknown; expected: unknown }[] = [
    {
      name: "full entry (models_list.json)",
      entry: { id: "GigaChat-2-Max", object: "model", owned_by: "salutedevices", type: "chat" },
      expected: {
        id: "GigaChat-2-Max",
        object: "model",
        created: 1_700_000_000,
        owned_by: "salutedevices",
        type: "chat",
      },
    },
    {
      name: "no owned_by, no type",
      entry: { id: "GigaChat" },
      expected: {
        id: "GigaChat",
        object: "model",
        created: 1_700_000_000,
        owned_by: "salutedevices",
      },
    },
    {
      name: "other owner kept",
      entry: { id: "ft:x", owned_by: "me", type: 5 },
      expected: { id: "ft:x", object: "model", created: 1_700_000_000, owned_by: "me" },
    },
    { name: "empty id", entry: { id: "" }, expected: undefined },
    { name: "numeric id", entry: { id: 5 }, expected: undefined },
    { name: "no id", entry: { object: "model" }, expected: undefined },
    { name: "null", entry: null, expected: undefined },
    { name: "string", entry: "GigaChat", expected: undefined },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(toOpenAIModel(row.entry, CREATED), row.expected));
  }
});

Deno.test("toOpenAIModels maps the recorded models_list.json sample", () => {
  const models = toOpenAIModels(SAMPLE, {}, CREATED);
  assert.ok(models !== undefined);
  assert.deepEqual(models.map((m) => m.id), SAMPLE_IDS);
  assert.deepEqual(models[16], {
    id: "Embeddings",
    object: "model",
    created: 1_700_000_000,
    owned_by: "salutedevices",
    type: "embedder",
  });
});

Deno.test("toOpenAIModels adds aliases whose target is listed", async (t) => {
  const rows: { name: string; aliases: Record<string, string>; added: string[] }[] = [
    { name: "no aliases", aliases: {}, added: [] },
    { name: "listed target", aliases: { "gpt-4o": "GigaChat-2-Max" }, added: ["gpt-4o"] },
    { name: "unlisted target", aliases: { "gpt-5": "GigaChat-9" }, added: [] },
    { name: "alias shadowing a real model", aliases: { "GigaChat": "GigaChat-2-Max" }, added: [] },
    {
      name: "two aliases, one target",
      aliases: { "gpt-4o": "GigaChat-2-Max", "gpt-4.1": "GigaChat-2-Max" },
      added: ["gpt-4o", "gpt-4.1"],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const models = toOpenAIModels(SAMPLE, row.aliases, CREATED);
      assert.ok(models !== undefined);
      assert.deepEqual(models.map((m) => m.id), [...SAMPLE_IDS, ...row.added]);
    });
  }
  await t.step("alias entry copies its target", () => {
    const models = toOpenAIModels(SAMPLE, { "gpt-4o": "GigaChat-2-Max" }, CREATED);
    assert.deepEqual(models?.at(-1), {
      id: "gpt-4o",
      object: "model",
      created: 1_700_000_000,
      owned_by: "salutedevices",
      type: "chat",
    });
  });
});

Deno.test("toOpenAIModels skips bad entries and rejects non-lists", async (t) => {
  await t.step("bad entries skipped", () => {
    const body = { object: "list", data: [{ id: "GigaChat" }, null, { id: "" }, "x", { id: 1 }] };
    assert.deepEqual(toOpenAIModels(body, {}, CREATED), [
      { id: "GigaChat", object: "model", created: 1_700_000_000, owned_by: "salutedevices" },
    ]);
  });
  await t.step("empty list", () => {
    assert.deepEqual(toOpenAIModels({ object: "list", data: [] }, {}, CREATED), []);
  });
  const rows: { name: string; body: unknown }[] = [
    { name: "null", body: null },
    { name: "array", body: [{ id: "GigaChat" }] },
    { name: "no data", body: { object: "list" } },
    { name: "data not an array", body: { data: { id: "GigaChat" } } },
    {
      name: "error body (models_get_404.json shape)",
      body: { status: 404, message: "No such model" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(toOpenAIModels(row.body, {}, CREATED), undefined));
  }
});

Deno.test("withCapabilities adds what the table knows in the shape model lists use", async (t) => {
  const base = { object: "model" as const, created: 1, owned_by: "salutedevices" };
  const rows: { name: string; model: OpenAIModel; expected: OpenAIModel }[] = [
    {
      name: "a vision model",
      model: { ...base, id: "GigaChat-2-Max", type: "chat" },
      expected: {
        ...base,
        id: "GigaChat-2-Max",
        type: "chat",
        context_length: 128_000,
        max_completion_tokens: 8192,
        architecture: { input_modalities: ["text", "image"], output_modalities: ["text"] },
        supported_parameters: [
          "max_tokens",
          "temperature",
          "top_p",
          "stop",
          "response_format",
          "structured_outputs",
          "tools",
          "tool_choice",
        ],
        top_provider: { context_length: 128_000, max_completion_tokens: 8192 },
      },
    },
    {
      name: "the reasoning model",
      model: { ...base, id: "GigaChat-2-Reasoning", type: "chat" },
      expected: {
        ...base,
        id: "GigaChat-2-Reasoning",
        type: "chat",
        context_length: 128_000,
        max_completion_tokens: 8192,
        architecture: { input_modalities: ["text"], output_modalities: ["text"] },
        supported_parameters: [
          "max_tokens",
          "temperature",
          "top_p",
          "stop",
          "response_format",
          "structured_outputs",
          "reasoning",
          "reasoning_effort",
        ],
        top_provider: { context_length: 128_000, max_completion_tokens: 8192 },
      },
    },
    {
      name: "an embedder is left as it is",
      model: { ...base, id: "Embeddings", type: "embedder" },
      expected: { ...base, id: "Embeddings", type: "embedder" },
    },
    {
      name: "a model the table does not know is left as it is",
      model: { ...base, id: "GigaChat-9", type: "chat" },
      expected: { ...base, id: "GigaChat-9", type: "chat" },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(withCapabilities(row.model, BUILT_IN_CAPABILITIES), row.expected),
    );
  }
});
