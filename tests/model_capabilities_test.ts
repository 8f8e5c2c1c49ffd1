// The capability table at work: what /v1/models says, which models get images, how far
// max_tokens is lowered, and MODEL_CAPABILITIES changing each.
import assert from "node:assert/strict";
import { postTo, withStack } from "./helpers/stack.ts";

const PNG = `data:image/png;base64,${
  btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1, 2))
}`;

function withImage(model: string) {
  return {
    model,
    messages: [{
      role: "user",
      content: [{ type: "text", text: "What is it?" }, {
        type: "image_url",
        image_url: { url: PNG },
      }],
    }],
  };
}

Deno.test("/v1/models carries context_length, max_completion_tokens, modalities and parameters", async () => {
  await withStack(
    { newHost: true, env: { MODEL_ALIASES: '{"gpt-4o":"GigaChat-2-Max"}' } },
    async (_stack, ai) => {
      const models = new Map((await ai.models.list()).data.map((model) => [model.id, model]));
      const max = models.get("GigaChat-2-Max") as unknown as Record<string, unknown>;
      assert.equal(max.context_length, 128_000);
      assert.equal(max.max_completion_tokens, 8192);
      assert.deepEqual(max.architecture, {
        input_modalities: ["text", "image"],
        output_modalities: ["text"],
      });
      assert.ok((max.supported_parameters as string[]).includes("tools"));
      const alias = models.get("gpt-4o") as unknown as Record<string, unknown>;
      assert.deepEqual(
        { ...alias, id: "GigaChat-2-Max" },
        max,
        "an alias has its target's capabilities",
      );
      const reasoning = models.get("GigaChat-2-Reasoning") as unknown as Record<string, unknown>;
      assert.ok((reasoning.supported_parameters as string[]).includes("reasoning_effort"));
      const lite = models.get("GigaChat-2") as unknown as Record<string, unknown>;
      assert.deepEqual((lite.architecture as { input_modalities: string[] }).input_modalities, [
        "text",
      ]);
      const embedder = models.get("Embeddings") as unknown as Record<string, unknown>;
      assert.equal(embedder.context_length, undefined);
      const one = await ai.models.retrieve("GigaChat-3-Ultra") as unknown as Record<
        string,
        unknown
      >;
      assert.equal(one.context_length, 128_000);
    },
  );
});

Deno.test("the table decides images: refused where it says no, let through where it does not know", async (t) => {
  await t.step("built-in table", async () => {
    await withStack({ newHost: true }, async (stack) => {
      const lite = await postTo(stack, "/chat/completions", withImage("GigaChat-2"));
      assert.equal(lite.status, 400);
      assert.equal((await lite.json()).error.code, "model_not_vision_capable");
      // GigaChat-3's vision is not known: GigaChat decides (the fake takes it).
      const ultra = await postTo(stack, "/chat/completions", withImage("GigaChat-3-Ultra"));
      assert.equal(ultra.status, 200);
      await ultra.body?.cancel();
      assert.equal(stack.fake.files.uploads.length, 1);
    });
  });
  await t.step("MODEL_CAPABILITIES says GigaChat-3-Ultra cannot see", async () => {
    await withStack({
      newHost: true,
      env: { MODEL_CAPABILITIES: '{"GigaChat-3-Ultra":{"vision":false}}' },
    }, async (stack) => {
      const ultra = await postTo(stack, "/chat/completions", withImage("GigaChat-3-Ultra"));
      assert.equal(ultra.status, 400);
      const { error } = await ultra.json();
      assert.match(error.message, /cannot see images; use GigaChat-2-Max/);
      assert.equal(stack.fake.files.uploads.length, 0);
    });
  });
});

Deno.test("max_tokens is lowered to the model's largest output, which MODEL_CAPABILITIES sets", async () => {
  await withStack({
    env: { MODEL_CAPABILITIES: '{"GigaChat-2-Pro":{"max_output_tokens":1000}}' },
  }, async (stack) => {
    for (
      const [model, asked, sent] of [["GigaChat-2-Max", 20_000, 8192], [
        "GigaChat-2-Pro",
        5000,
        1000,
      ], ["GigaChat-2", 100, 100]] as const
    ) {
      const response = await postTo(stack, "/chat/completions", {
        model,
        max_completion_tokens: asked,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      assert.equal(stack.fake.chatBodies().at(-1)?.max_tokens, sent, model);
    }
  });
});
