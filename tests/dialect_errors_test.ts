// Malformed Responses and Messages bodies that once ended in a 500 (issue #23, item 2): each is
// a 400 in the dialect's own shape naming the client's own field, never a chat path.
import assert from "node:assert/strict";
import { postTo, withStack } from "./helpers/stack.ts";

const OBJECT = { toString: 1 };
/** A schema that grows past the sanitiser's budget once its $refs are inlined. */
const EXPONENTIAL = {
  type: "object",
  $defs: Object.fromEntries(
    Array.from({ length: 24 }, (_, i) => [`a${i}`, {
      type: "object",
      properties: { x: { $ref: `#/$defs/a${i + 1}` }, y: { $ref: `#/$defs/a${i + 1}` } },
    }]),
  ),
  properties: { r: { $ref: "#/$defs/a0" } },
};
const CALL = { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" };
const OUTPUT = { type: "function_call_output", call_id: "call_1", output: "ok" };

const RESPONSES_ROWS: { name: string; input?: unknown[]; tools?: unknown[]; param: string }[] = [
  {
    name: "null content part",
    input: [{ role: "user", content: [null] }],
    param: "input[0].content[0]",
  },
  {
    name: "null output part",
    input: [CALL, { ...OUTPUT, output: [null] }],
    param: "input[1].output[0]",
  },
  {
    name: "null summary part",
    input: [{ type: "reasoning", summary: [null] }],
    param: "input[0].summary[0]",
  },
  {
    name: "null namespace tool",
    input: [{ role: "user", content: "x" }],
    tools: [{ type: "namespace", name: "n", tools: [null] }],
    param: "tools[0].tools[0]",
  },
  { name: "role object", input: [{ role: OBJECT, content: "x" }], param: "input[0].role" },
  {
    name: "text object",
    input: [{ role: "user", content: [{ type: "input_text", text: OBJECT }] }],
    param: "input[0].content[0].text",
  },
  { name: "call_id object", input: [{ ...CALL, call_id: OBJECT }], param: "input[0].call_id" },
  { name: "name object", input: [{ ...CALL, name: OBJECT }, OUTPUT], param: "input[0].name" },
  {
    name: "arguments object",
    input: [{ ...CALL, arguments: OBJECT }, OUTPUT],
    param: "input[0].arguments",
  },
  {
    name: "custom input object",
    input: [{ type: "custom_tool_call", call_id: "call_1", name: "p", input: OBJECT }, OUTPUT],
    param: "input[0].input",
  },
  {
    name: "an output for no call",
    input: [{ role: "user", content: "x" }, { ...OUTPUT, call_id: "call_x" }],
    param: "input[1].call_id",
  },
  {
    name: "two calls with one call_id",
    input: [{ role: "user", content: "x" }, CALL, CALL, OUTPUT],
    param: "input[2]",
  },
  {
    name: "a tool schema too large (found by the pipeline), after a hosted tool",
    input: [{ role: "user", content: "x" }],
    tools: [{ type: "web_search" }, { type: "function", name: "f", parameters: EXPONENTIAL }],
    param: "tools[1].parameters",
  },
  {
    name: "a namespaced tool schema too large (found by the pipeline)",
    input: [{ role: "user", content: "x" }],
    tools: [{
      type: "namespace",
      name: "n",
      tools: [{ type: "function", name: "g" }, {
        type: "function",
        name: "f",
        parameters: EXPONENTIAL,
      }],
    }],
    param: "tools[0].tools[1].parameters",
  },
  {
    name: "a non-text part of a function_call_output's list",
    input: [{ role: "user", content: "x" }, CALL, {
      ...OUTPUT,
      output: [{ type: "refusal", refusal: "no" }],
    }],
    param: "input[2].output[0]",
  },
  {
    name: "arguments that are not JSON (found by the pipeline)",
    input: [{ role: "user", content: "x" }, { ...CALL, arguments: "{oops" }, OUTPUT],
    param: "input[1].arguments",
  },
];

const USER_TEXT = { role: "user", content: "x" };
const TOOL_USE = { type: "tool_use", id: "toolu_1", name: "f", input: {} };
const RESULT = { type: "tool_result", tool_use_id: "toolu_1", content: "ok" };

const MESSAGES_ROWS: { name: string; fields: Record<string, unknown>; param: string }[] = [
  {
    name: "text object",
    fields: { messages: [{ role: "user", content: [{ type: "text", text: OBJECT }] }] },
    param: "messages[0].content[0].text",
  },
  {
    name: "null tool_result content",
    fields: {
      messages: [USER_TEXT, { role: "assistant", content: [TOOL_USE] }, {
        role: "user",
        content: [{ ...RESULT, content: [null] }],
      }],
    },
    param: "messages[2].content[0].content[0]",
  },
  {
    name: "tool_use_id object",
    fields: {
      messages: [USER_TEXT, { role: "assistant", content: [TOOL_USE] }, {
        role: "user",
        content: [{ ...RESULT, tool_use_id: OBJECT }],
      }],
    },
    param: "messages[2].content[0].tool_use_id",
  },
  {
    name: "thinking object",
    fields: {
      messages: [USER_TEXT, {
        role: "assistant",
        content: [{ type: "thinking", thinking: OBJECT }],
      }],
    },
    param: "messages[1].content[0].thinking",
  },
  {
    name: "document data object",
    fields: {
      messages: [{
        role: "user",
        content: [{ type: "document", source: { type: "base64", data: OBJECT } }],
      }],
    },
    param: "messages[0].content[0].source.data",
  },
  { name: "system object", fields: { system: OBJECT, messages: [USER_TEXT] }, param: "system" },
  {
    name: "tool_use without name",
    fields: {
      messages: [USER_TEXT, { role: "assistant", content: [{ ...TOOL_USE, name: undefined }] }],
    },
    param: "messages[1].content[0].name",
  },
  {
    name: "a tool_result for no tool_use",
    fields: {
      messages: [USER_TEXT, { role: "assistant", content: "hm" }, {
        role: "user",
        content: [{ ...RESULT, tool_use_id: "toolu_x" }],
      }],
    },
    param: "messages[2].content[0].tool_use_id",
  },
  {
    name: "two tool_use blocks with one id",
    fields: {
      messages: [USER_TEXT, { role: "assistant", content: [TOOL_USE, TOOL_USE] }, {
        role: "user",
        content: [RESULT],
      }],
    },
    param: "messages[1].content[1]",
  },
  {
    name: "a tool schema too large (found by the pipeline), after a server tool",
    fields: {
      messages: [USER_TEXT],
      tools: [{ type: "web_search_20250305", name: "web_search" }, {
        name: "f",
        input_schema: EXPONENTIAL,
      }],
    },
    param: "tools[1].input_schema",
  },
  {
    name: "a tool_use never answered",
    fields: { messages: [USER_TEXT, { role: "assistant", content: [TOOL_USE] }, USER_TEXT] },
    param: "messages[1].content[0]",
  },
];

Deno.test("Responses: malformed input items are 400s naming the client's field", async (t) => {
  await withStack({}, async (stack) => {
    for (const row of RESPONSES_ROWS) {
      await t.step(row.name, async () => {
        const response = await postTo(stack, "/responses", {
          model: "GigaChat-2-Max",
          input: row.input,
          ...(row.tools ? { tools: row.tools } : {}),
        });
        const body = await response.json();
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(body.error.type, "invalid_request_error");
        assert.equal(body.error.param, row.param);
        assert.ok(body.error.message.includes(row.param), body.error.message);
        assert.doesNotMatch(body.error.message, /messages\[|tool_call_id/);
      });
    }
  });
});

Deno.test("Messages and count_tokens: malformed blocks are 400s naming the client's field", async (t) => {
  await withStack({}, async (stack) => {
    for (const row of MESSAGES_ROWS) {
      // count_tokens runs the translation, not the pipeline: what only the pipeline finds is
      // counted there, not refused.
      const paths = row.name.includes("found by the pipeline")
        ? ["/messages"]
        : ["/messages", "/messages/count_tokens"];
      for (const path of paths) {
        await t.step(`${path}: ${row.name}`, async () => {
          const response = await postTo(stack, path, {
            model: "GigaChat-2-Max",
            ...(path === "/messages" ? { max_tokens: 10 } : {}),
            ...row.fields,
          });
          const body = await response.json();
          assert.equal(response.status, 400, JSON.stringify(body));
          assert.equal(body.type, "error");
          assert.equal(body.error.type, "invalid_request_error");
          assert.ok(body.error.message.includes(row.param), body.error.message);
          assert.doesNotMatch(body.error.message, /tool_call_id|'call_/);
        });
      }
    }
  });
});

Deno.test("Messages: a bad max_tokens says what is wrong with the value", async (t) => {
  await withStack({}, async (stack) => {
    for (
      const [value, said] of [
        [-1, /at least 1/],
        [0, /at least 1/],
        [1.5, /whole number/],
        ["100", /must be a number/],
        [undefined, /is required/],
      ] as const
    ) {
      await t.step(JSON.stringify(value) ?? "missing", async () => {
        const response = await postTo(stack, "/messages", {
          model: "GigaChat-2-Max",
          max_tokens: value,
          messages: [USER_TEXT],
        });
        const body = await response.json();
        assert.equal(response.status, 400);
        assert.match(body.error.message, said);
        if (value !== undefined) assert.doesNotMatch(body.error.message, /required/);
      });
    }
  });
});

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

Deno.test("values the SDKs' types allow are served, not refused", async (t) => {
  await withStack({}, async (stack) => {
    const responses: [string, Record<string, unknown>][] = [
      ["an image in a function_call_output (Codex's view_image)", {
        input: [{ role: "user", content: "x" }, CALL, {
          ...OUTPUT,
          output: [{ type: "input_text", text: "see" }, {
            type: "input_image",
            image_url: `data:image/png;base64,${PNG}`,
          }],
        }],
      }],
      ["reasoning effort max", { input: "x", reasoning: { effort: "max" } }],
      ["tool_choice name null", {
        input: "x",
        tool_choice: { type: "mcp", server_label: "s", name: null },
      }],
      ["a namespaced function whose parameters are `true`", {
        input: "x",
        tools: [{
          type: "namespace",
          name: "n",
          description: "",
          tools: [{ type: "function", name: "g", parameters: true }],
        }],
      }],
    ];
    for (const [name, fields] of responses) {
      await t.step(`/responses: ${name}`, async () => {
        const response = await postTo(stack, "/responses", { model: "GigaChat-2-Max", ...fields });
        assert.equal(response.status, 200, await response.text());
      });
    }
    const pair = (content: unknown) => ({
      messages: [USER_TEXT, { role: "assistant", content: [TOOL_USE] }, {
        role: "user",
        content: [{ ...RESULT, content }],
      }],
    });
    const messages: [string, Record<string, unknown>][] = [
      [
        "a search_result in a tool_result",
        pair([{
          type: "search_result",
          source: "s",
          title: "t",
          content: [{ type: "text", text: "x" }],
        }]),
      ],
      [
        "a text document in a tool_result",
        pair([{ type: "document", source: { type: "text", media_type: "text/plain", data: "x" } }]),
      ],
      ["a tool_reference in a tool_result", pair([{ type: "tool_reference", tool_name: "f" }])],
      ["a custom-content document", {
        messages: [{
          role: "user",
          content: [{
            type: "document",
            source: { type: "content", content: [{ type: "text", text: "x" }] },
          }],
        }],
      }],
      ["a tool with type null", {
        messages: [USER_TEXT],
        tools: [{ name: "f", type: null, input_schema: { type: "object" } }],
      }],
      ["output_config.effort null", { messages: [USER_TEXT], output_config: { effort: null } }],
      ["thinking between_tools", { messages: [USER_TEXT], thinking: { type: "between_tools" } }],
    ];
    for (const [name, fields] of messages) {
      await t.step(`/messages: ${name}`, async () => {
        const response = await postTo(stack, "/messages", {
          model: "GigaChat-2-Max",
          max_tokens: 10,
          ...fields,
        });
        assert.equal(response.status, 200, await response.text());
      });
    }
  });
});

Deno.test("a body that is no JSON object is a 400 naming the body, on every dialect route", async (t) => {
  await withStack({}, async (stack) => {
    for (const path of ["/responses", "/messages", "/messages/count_tokens"]) {
      for (const body of ["[1]", "null", '"x"', "1"]) {
        await t.step(`${path} ${body}`, async () => {
          const response = await postTo(stack, path, body);
          const answer = await response.json();
          assert.equal(response.status, 400, JSON.stringify(answer));
          assert.match(answer.error.message, /^(Invalid value for 'body'|body): .*expected object/);
          if (path === "/responses") assert.equal(answer.error.param, "body");
        });
      }
    }
  });
});
