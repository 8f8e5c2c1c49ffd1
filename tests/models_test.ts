import assert from "node:assert/strict";
import OpenAI from "openai";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";

Deno.test("models.list through the openai client returns GigaChat's models in OpenAI shape", async () => {
  const stack = await startStack();
  try {
    const client = new OpenAI({ apiKey: DEMO_KEY, baseURL: stack.baseURL, maxRetries: 0 });
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.equal(models.length, 20);
    const max = models.find((m) => m.id === "GigaChat-2-Max");
    assert.ok(max);
    assert.equal(max.object, "model");
    assert.equal(max.owned_by, "salutedevices");
    assert.equal(typeof max.created, "number");
    const one = await client.models.retrieve("GigaChat-2-Pro");
    assert.equal(one.id, "GigaChat-2-Pro");
  } finally {
    await stack.close();
  }
});
