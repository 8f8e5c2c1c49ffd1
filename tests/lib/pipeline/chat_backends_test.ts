import assert from "node:assert/strict";
import type { BackendSettings } from "../../../lib/config.ts";
import { deriveV2Url } from "../../../lib/config.ts";
import { backendFor } from "../../../lib/pipeline/chat_backends.ts";

Deno.test("backendFor: the first rule naming the model, else the default", async (t) => {
  const settings: BackendSettings = {
    default: "v1",
    rules: [
      { model: "GigaChat-3-Ultra", prefix: false, backend: "v1" },
      { model: "GigaChat-3", prefix: true, backend: "v2" },
    ],
    v2Url: "https://api.giga.chat/v2/chat/completions",
    v2Tools: [],
  };
  const rows: [string, string][] = [
    ["GigaChat-3-Ultra", "v1"],
    ["GigaChat-3-Lightning", "v2"],
    ["GigaChat-3", "v2"],
    ["GigaChat-2-Max", "v1"],
    ["gigachat-3-lightning", "v1"],
  ];
  for (const [model, expected] of rows) {
    await t.step(model, () => assert.equal(backendFor(model, settings), expected));
  }
  await t.step("the default when no rule names it", () => {
    assert.equal(backendFor("GigaChat-2", { ...settings, default: "v2" }), "v2");
  });
});

Deno.test("deriveV2Url follows the SDK: a base ending in /v1 gets /v2/chat/completions", async (t) => {
  const rows: [string, string | undefined][] = [
    ["https://api.giga.chat/v1", "https://api.giga.chat/v2/chat/completions"],
    [
      "https://gigachat.devices.sberbank.ru/api/v1",
      "https://gigachat.devices.sberbank.ru/api/v2/chat/completions",
    ],
    ["https://127.0.0.1:9000/api/v1", "https://127.0.0.1:9000/api/v2/chat/completions"],
    ["https://gw.example/giga", undefined],
    ["https://gw.example/v10", undefined],
  ];
  for (const [base, expected] of rows) {
    await t.step(base, () => assert.equal(deriveV2Url(base), expected));
  }
});
