import assert from "node:assert/strict";
import { toolNamesFor, V2_FUNCTION_NAME } from "../../../lib/mapping/tool_names.ts";

Deno.test("toolNamesFor renames client tools that collide with built-ins", async (t) => {
  const rows: { name: string; tools: string[]; up: Record<string, string> }[] = [
    {
      name: "web_search → user_web_search (API-chat.md §4, gpt2giga)",
      tools: ["web_search", "get_weather"],
      up: { web_search: "user_web_search", get_weather: "get_weather" },
    },
    {
      name: "every built-in",
      tools: [
        "text2image",
        "get_file_content",
        "text2model3d",
        "code_interpreter",
        "image_generate",
        "model_3d_generate",
        "url_content_extraction",
      ],
      up: {
        text2image: "user_text2image",
        get_file_content: "user_get_file_content",
        text2model3d: "user_text2model3d",
        code_interpreter: "user_code_interpreter",
        image_generate: "user_image_generate",
        model_3d_generate: "user_model_3d_generate",
        url_content_extraction: "user_url_content_extraction",
      },
    },
    {
      name: "renamed name unique when user_web_search already exists",
      tools: ["web_search", "user_web_search"],
      up: { web_search: "user_user_web_search", user_web_search: "user_web_search" },
    },
    {
      name: "unique past two taken names",
      tools: ["user_user_web_search", "web_search", "user_web_search"],
      up: {
        web_search: "user_user_user_web_search",
        user_web_search: "user_web_search",
        user_user_web_search: "user_user_web_search",
      },
    },
    {
      name: "a built-in name not among the tools is not renamed",
      tools: ["get_weather"],
      up: { web_search: "web_search" },
    },
    { name: "no tools", tools: [], up: { anything: "anything" } },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const names = toolNamesFor(row.tools);
      for (const [client, upstream] of Object.entries(row.up)) {
        assert.equal(names.toUpstream(client), upstream, `toUpstream(${client})`);
        assert.equal(names.fromUpstream(upstream), client, `fromUpstream(${upstream})`);
      }
    });
  }
  await t.step("the built-in's own name from upstream stays itself", () => {
    assert.equal(toolNamesFor(["web_search"]).fromUpstream("web_search"), "web_search");
  });
});

Deno.test("toolNamesFor with v2's pattern renames names v2 refuses, and back", async (t) => {
  const rows: { name: string; tools: string[]; up: Record<string, string> }[] = [
    {
      name: "allowed as they are (HOSTS-AND-MODELS.md: ^[A-Za-z][A-Za-z0-9_.-]*$)",
      tools: ["get_weather", "fs.read-file", "A1"],
      up: { get_weather: "get_weather", "fs.read-file": "fs.read-file", A1: "A1" },
    },
    {
      name: "a leading digit or underscore",
      tools: ["1st_lookup", "_private"],
      up: { "1st_lookup": "user_1st_lookup", _private: "user__private" },
    },
    {
      name: "other characters become _, unique among the tools",
      tools: ["get weather", "user_get_weather", "_get_weather"],
      up: {
        "get weather": "user_user_get_weather",
        user_get_weather: "user_get_weather",
        _get_weather: "user__get_weather",
      },
    },
    {
      name: "a built-in's name, as on v1",
      tools: ["web_search"],
      up: { web_search: "user_web_search" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const names = toolNamesFor(row.tools, V2_FUNCTION_NAME);
      for (const [client, upstream] of Object.entries(row.up)) {
        assert.equal(names.toUpstream(client), upstream);
        assert.match(upstream, V2_FUNCTION_NAME);
        assert.equal(names.fromUpstream(upstream), client);
      }
    });
  }
});
