import assert from "node:assert/strict";
import {
  BUILT_IN_CAPABILITIES,
  capabilitiesOf,
  mergeCapabilities,
  suggestedVisionModel,
} from "../../lib/model_capabilities.ts";

Deno.test("capabilitiesOf finds a model by name, version suffix or -preview family", async (t) => {
  const rows: [string, boolean | undefined, number | undefined][] = [
    ["GigaChat-2-Max", true, 128_000],
    ["GigaChat-2-Max-preview", true, 128_000],
    ["GigaChat-2-Max:2.0.28.2", true, 128_000],
    ["GigaChat-2", false, 128_000],
    ["GigaChat-Max", true, 32_768],
    ["GigaChat-3-Ultra", undefined, 128_000],
    ["GigaChat-3-Ultra:32.3.18.5", undefined, 128_000],
    ["GigaChat-2-Reasoning", undefined, 128_000],
    ["Unknown-Model", undefined, undefined],
    ["constructor", undefined, undefined],
    ["__proto__", undefined, undefined],
  ];
  for (const [model, vision, context] of rows) {
    await t.step(model, () => {
      const found = capabilitiesOf(BUILT_IN_CAPABILITIES, model);
      assert.equal(found?.vision, vision);
      assert.equal(found?.context_window, context);
    });
  }
  assert.equal(capabilitiesOf(BUILT_IN_CAPABILITIES, "GigaChat-2-Reasoning")?.reasoning, true);
  assert.equal(capabilitiesOf(BUILT_IN_CAPABILITIES, "GigaChat-2-Max")?.reasoning, false);
});

Deno.test("mergeCapabilities merges field by field and keeps odd names as entries", () => {
  const merged = mergeCapabilities({ A: { vision: true, tools: true } }, {
    A: { vision: false },
    ["__proto__"]: { reasoning: true },
  });
  assert.deepEqual(merged.A, { vision: false, tools: true });
  assert.deepEqual(capabilitiesOf(merged, "__proto__"), { reasoning: true });
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
});

Deno.test("suggestedVisionModel prefers GigaChat-2-Max, else any model that sees", () => {
  assert.equal(suggestedVisionModel(BUILT_IN_CAPABILITIES), "GigaChat-2-Max");
  assert.equal(suggestedVisionModel({ X: { vision: false }, Y: { vision: true } }), "Y");
});
