import assert from "node:assert/strict";
import { resolveModel } from "../../lib/resolve_model.ts";

Deno.test("resolveModel maps MODEL_ALIASES names and passes others through", async (t) => {
  const aliases = { "gpt-4o": "GigaChat-2-Max", "gpt-4o-mini": "GigaChat-2" };
  const rows = [
    { name: "alias", requested: "gpt-4o", expected: "GigaChat-2-Max" },
    { name: "second alias", requested: "gpt-4o-mini", expected: "GigaChat-2" },
    { name: "GigaChat name", requested: "GigaChat-2-Pro", expected: "GigaChat-2-Pro" },
    { name: "case matters", requested: "GPT-4O", expected: "GPT-4O" },
    { name: "prototype key", requested: "constructor", expected: "constructor" },
    { name: "__proto__", requested: "__proto__", expected: "__proto__" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(resolveModel(row.requested, aliases), row.expected));
  }
  await t.step("no aliases", () => assert.equal(resolveModel("gpt-4o", {}), "gpt-4o"));
});
