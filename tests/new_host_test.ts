// A user with a key created this autumn: the default address is api.giga.chat, where the
// GigaChat-3 models and GigaChat-2-Reasoning live and the older names do not.
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { postTo, withStack } from "./helpers/stack.ts";

Deno.test("the default GIGACHAT_API_URL is api.giga.chat, OAuth unchanged", () => {
  const config = loadConfig({});
  assert.equal(config.apiUrl, "https://api.giga.chat/v1");
  assert.equal(config.authUrl, "https://ngw.devices.sberbank.ru:9443/api/v2/oauth");
});

Deno.test("on the new host GigaChat-3 answers under the asked name, the version in system_fingerprint", async (t) => {
  await withStack({ newHost: true }, async (stack, ai) => {
    for (const model of ["GigaChat-3-Ultra", "GigaChat-3-Lightning", "GigaChat-2-Max"]) {
      await t.step(model, async () => {
        const completion = await ai.chat.completions.create({
          model,
          messages: [{ role: "user", content: "Привет" }],
        });
        assert.equal(completion.model, model);
        assert.match(completion.system_fingerprint ?? "", new RegExp(`^${model}:\\d+(\\.\\d+)+$`));
        const chunks = [];
        for await (
          const chunk of await ai.chat.completions.create({
            model,
            messages: [{ role: "user", content: "Привет" }],
            stream: true,
          })
        ) chunks.push(chunk);
        assert.ok(chunks.every((chunk) => chunk.model === model));
        // The opening role chunk goes out before GigaChat has answered; later ones carry it.
        assert.match(chunks.at(-1)?.system_fingerprint ?? "", new RegExp(`^${model}:`));
      });
    }
    const listed = (await ai.models.list()).data.map((entry) => entry.id);
    assert.ok(listed.includes("GigaChat-3-Ultra") && listed.includes("GigaChat-2-Reasoning"));
    assert.ok(stack.fake.requests.every((r) => !r.path.startsWith("/api/v1")));
  });
});

Deno.test("an older model name on the new host is a 404 that says where it still lives", async () => {
  await withStack({ newHost: true }, async (stack) => {
    const response = await postTo(stack, "/chat/completions", {
      model: "GigaChat-Max",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(response.status, 404);
    const { error } = await response.json();
    assert.equal(error.code, "model_not_found");
    assert.match(error.message, /'GigaChat-Max'.*GET \/v1\/models.*older names.*old host/);
  });
});
