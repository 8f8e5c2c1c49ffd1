import assert from "node:assert/strict";
import { type OpenAIFile, toOpenAIFile } from "../../../lib/openai/to_openai_file.ts";

Deno.test("toOpenAIFile maps GigaChat's FileObject to OpenAI's file", async (t) => {
  const rows: { name: string; entry: unknown; expected: OpenAIFile }[] = [
    {
      name: "samples/file_object.json (access_policy dropped)",
      entry: {
        id: "123",
        object: "file",
        bytes: 202725,
        access_policy: "private",
        created_at: 1740658568,
        filename: "invoicesample.pdf",
        purpose: "general",
      },
      expected: {
        id: "123",
        object: "file",
        bytes: 202725,
        created_at: 1740658568,
        filename: "invoicesample.pdf",
        purpose: "general",
        status: "processed",
      },
    },
    {
      name: "samples/file_upload_response.json (no access_policy)",
      entry: {
        id: "c757a9c5-de04-498f-baa3-efcc54de7853",
        object: "file",
        bytes: 42966,
        created_at: 1715768909,
        filename: "image.jpg",
        purpose: "general",
      },
      expected: {
        id: "c757a9c5-de04-498f-baa3-efcc54de7853",
        object: "file",
        bytes: 42966,
        created_at: 1715768909,
        filename: "image.jpg",
        purpose: "general",
        status: "processed",
      },
    },
    {
      name: "purpose assistant kept as GigaChat has it",
      entry: { id: "f1", bytes: 1, created_at: 2, filename: "a.txt", purpose: "assistant" },
      expected: {
        id: "f1",
        object: "file",
        bytes: 1,
        created_at: 2,
        filename: "a.txt",
        purpose: "assistant",
        status: "processed",
      },
    },
    {
      name: "only an id: the other fields defaulted",
      entry: { id: "f2" },
      expected: {
        id: "f2",
        object: "file",
        bytes: 0,
        created_at: 0,
        filename: "",
        purpose: "general",
        status: "processed",
      },
    },
    {
      name: "wrongly typed fields defaulted",
      entry: {
        id: "f3",
        object: "blob",
        bytes: "202725",
        created_at: "2025-02-27",
        filename: 7,
        purpose: null,
      },
      expected: {
        id: "f3",
        object: "file",
        bytes: 0,
        created_at: 0,
        filename: "",
        purpose: "general",
        status: "processed",
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(toOpenAIFile(row.entry), row.expected));
  }
});

Deno.test("toOpenAIFile refuses entries without a string id", async (t) => {
  const rows: { name: string; entry: unknown }[] = [
    { name: "undefined", entry: undefined },
    { name: "null", entry: null },
    { name: "a string", entry: "c757a9c5-de04-498f-baa3-efcc54de7853" },
    { name: "a number", entry: 123 },
    { name: "an array", entry: [{ id: "123" }] },
    { name: "an empty object", entry: {} },
    { name: "a numeric id", entry: { id: 123, filename: "a.pdf" } },
    { name: "an empty id", entry: { id: "", filename: "a.pdf" } },
    { name: "a null id", entry: { id: null } },
    { name: "the list wrapper (samples/files_list.json)", entry: { data: [{ id: "123" }] } },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(toOpenAIFile(row.entry), undefined));
  }
});
