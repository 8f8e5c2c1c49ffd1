import assert from "node:assert/strict";
import { parseGenerateContentRequest } from "../../../../lib/dialects/gemini/gemini_request.ts";
import { toChatRequest } from "../../../../lib/dialects/gemini/to_chat_request.ts";
import { reasoningToken } from "../../../../lib/dialects/responses/reasoning_token.ts";
import { GatewayError } from "../../../../lib/errors.ts";

function translate(body: unknown, stream = false) {
  return toChatRequest(parseGenerateContentRequest(body), "GigaChat-2-Max", stream);
}

function refusal(body: unknown): GatewayError {
  try {
    translate(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

const CLI_TURN = {
  systemInstruction: { role: "user", parts: [{ text: "You are a CLI agent." }] },
  contents: [
    { role: "user", parts: [{ text: "<session_context>…</session_context>" }, { text: "run it" }] },
    {
      role: "model",
      parts: [{
        functionCall: {
          id: "run_shell_command_1_0",
          name: "run_shell_command",
          args: { command: "ls" },
        },
        thoughtSignature: "skip_thought_signature_validator",
      }],
    },
    {
      role: "user",
      parts: [{
        functionResponse: {
          id: "run_shell_command_1_0",
          name: "run_shell_command",
          response: { output: "a.txt" },
        },
      }],
    },
  ],
  tools: [{
    functionDeclarations: [{
      name: "run_shell_command",
      description: "Runs a command",
      parametersJsonSchema: {
        type: "object",
        properties: { command: { type: "string" } },
        required: ["command"],
      },
    }],
  }],
  generationConfig: {
    temperature: 1,
    topP: 0.95,
    topK: 64,
    thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
  },
};

Deno.test("Gemini → chat: Gemini CLI's turn, as captured", () => {
  const { chat, includeThoughts } = translate(CLI_TURN, true);
  assert.equal(includeThoughts, true);
  assert.deepEqual(chat.messages, [
    { role: "system", content: "You are a CLI agent." },
    {
      role: "user",
      content: [
        { type: "text", text: "<session_context>…</session_context>" },
        { type: "text", text: "run it" },
      ],
    },
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "run_shell_command_1_0",
        type: "function",
        function: { name: "run_shell_command", arguments: '{"command":"ls"}' },
      }],
    },
    { role: "tool", tool_call_id: "run_shell_command_1_0", content: '{"output":"a.txt"}' },
  ]);
  assert.equal(chat.reasoning_effort, "medium");
  assert.equal(chat.temperature, 1);
  assert.equal(chat.top_p, 0.95);
  assert.equal(chat.stream, true);
  assert.deepEqual(
    (chat.tools?.[0] as { function: { parameters: unknown } }).function.parameters,
    CLI_TURN.tools[0].functionDeclarations[0].parametersJsonSchema,
  );
});

Deno.test("Gemini → chat: calls without ids pair with responses by name, in order", () => {
  const { chat } = translate({
    contents: [
      { role: "user", parts: [{ text: "two at once" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "a", args: {} } },
          { functionCall: { name: "b", args: { x: 1 } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "b", response: { ok: 2 } } },
          { functionResponse: { name: "a", response: { ok: 1 } } },
        ],
      },
    ],
  });
  const assistant = chat.messages[1] as { tool_calls: { id: string }[] };
  const [a, b] = assistant.tool_calls.map((call) => call.id);
  assert.notEqual(a, b);
  assert.deepEqual(chat.messages.slice(2), [
    { role: "tool", tool_call_id: b, content: '{"ok":2}' },
    { role: "tool", tool_call_id: a, content: '{"ok":1}' },
  ]);
});

Deno.test("Gemini → chat: media parts, thoughts and our signed reasoning", () => {
  const token = reasoningToken("I thought.");
  const { chat } = translate({
    contents: [
      {
        parts: [
          { text: "look" },
          { inlineData: { mimeType: "image/png", data: "AAAA" } },
          { inlineData: { mimeType: "application/pdf", data: "BBBB" } },
          { fileData: { fileUri: "files/file-123" } },
          { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/a.jpg" } },
        ],
      },
      {
        role: "model",
        parts: [{ text: "thinking…", thought: true, thoughtSignature: token }, { text: "Seen." }],
      },
      { role: "user", parts: [{ text: "and?" }] },
    ],
  });
  assert.deepEqual(chat.messages[0], {
    role: "user",
    content: [
      { type: "text", text: "look" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      {
        type: "file",
        file: { file_data: "data:application/pdf;base64,BBBB", filename: "document.pdf" },
      },
      { type: "file", file: { file_id: "file-123" } },
      { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
    ],
  });
  assert.deepEqual(chat.messages[1], {
    role: "assistant",
    content: "Seen.",
    reasoning_content: "I thought.",
  });
});

Deno.test("Gemini → chat: tools, tool config, structured output and settings", () => {
  const { chat } = translate({
    contents: [{ parts: [{ text: "hi" }] }],
    tools: [
      {
        functionDeclarations: [
          {
            name: "f",
            parameters: { type: "OBJECT", properties: { n: { type: "INTEGER", nullable: true } } },
          },
          { name: "g" },
        ],
      },
      { googleSearch: {} },
      { urlContext: {} },
      { codeExecution: {} },
    ],
    toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } },
    generationConfig: {
      maxOutputTokens: 50,
      stopSequences: ["END"],
      responseMimeType: "application/json",
      responseSchema: { type: "OBJECT", properties: { a: { type: "STRING" } }, required: ["a"] },
      thinkingConfig: { thinkingBudget: 0 },
    },
  });
  assert.deepEqual(chat.tools, [{
    type: "function",
    function: {
      name: "f",
      description: undefined,
      parameters: { type: "object", properties: { n: { type: ["integer", "null"] } } },
    },
  }]);
  assert.deepEqual(chat.tool_choice, { type: "function", function: { name: "f" } });
  assert.deepEqual(chat.hostedTools, ["web_search", "url_content_extraction"]);
  assert.deepEqual(chat.ignoredTools, ["codeExecution"]);
  assert.equal(chat.max_completion_tokens, 50);
  assert.deepEqual(chat.stop, ["END"]);
  assert.equal(chat.reasoning_effort, "none");
  assert.deepEqual(chat.response_format, {
    type: "json_schema",
    json_schema: {
      name: "response",
      schema: { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
    },
  });
  const none = translate({
    contents: [{ parts: [{ text: "hi" }] }],
    tools: [{ functionDeclarations: [{ name: "f" }] }],
    toolConfig: { functionCallingConfig: { mode: "NONE" } },
    generationConfig: {
      responseMimeType: "application/json",
      thinkingConfig: { thinkingLevel: "HIGH" },
    },
  }).chat;
  assert.equal(none.tool_choice, "none");
  assert.deepEqual(none.response_format, { type: "json_object" });
  assert.equal(none.reasoning_effort, "high");
});

Deno.test("Gemini → chat: what cannot be carried is a 400 naming the field", () => {
  const cases: [unknown, string][] = [
    [{ contents: [] }, "contents"],
    [{ contents: [{ parts: [{ text: 1 }] }] }, "contents[0].parts[0].text"],
    [{ contents: [{ parts: [{}] }] }, "contents[0].parts[0]"],
    [
      { contents: [{ parts: [{ text: "x" }] }], generationConfig: { candidateCount: 3 } },
      "generationConfig.candidateCount",
    ],
    [
      {
        contents: [{ parts: [{ text: "x" }] }],
        generationConfig: { responseMimeType: "application/json", responseJsonSchema: "x" },
      },
      "generationConfig.responseJsonSchema",
    ],
    [{
      contents: [{ parts: [{ text: "x" }] }],
      generationConfig: { responseMimeType: "text/x.enum" },
    }, "generationConfig.responseMimeType"],
    [{
      contents: [{ parts: [{ text: "x" }] }],
      generationConfig: { responseSchema: { type: "STRING" } },
    }, "generationConfig.responseMimeType"],
    [
      {
        contents: [{ parts: [{ text: "x" }] }],
        toolConfig: { functionCallingConfig: { allowedFunctionNames: ["nope"] } },
      },
      "toolConfig.functionCallingConfig.allowedFunctionNames[0]",
    ],
    [
      {
        contents: [{
          role: "user",
          parts: [{ functionResponse: { id: "x", name: "f", response: {} } }],
        }],
      },
      "contents[0].parts[0].functionResponse",
    ],
    [
      {
        contents: [{ role: "model", parts: [{ functionCall: { id: "c1", name: "f", args: {} } }] }],
      },
      "contents[0].parts[0].functionCall",
    ],
    [{
      contents: [{
        parts: [{ fileData: { mimeType: "application/pdf", fileUri: "https://x.example/a.pdf" } }],
      }],
    }, "contents[0].parts[0].fileData.fileUri"],
    [{ contents: [{ parts: [{ functionCall: { name: "f" } }] }] }, "contents[0].parts[0]"],
    [{
      systemInstruction: { parts: [{ inlineData: { mimeType: "image/png", data: "" } }] },
      contents: [{ parts: [{ text: "x" }] }],
    }, "systemInstruction.parts[0]"],
  ];
  for (const [body, param] of cases) {
    const error = refusal(body);
    assert.equal(error.status, 400, JSON.stringify(body));
    assert.equal(error.param, param, `${JSON.stringify(body)}: ${error.message}`);
  }
});

Deno.test("Gemini → chat: a resumed session's repeated responses count once", () => {
  const response = { functionResponse: { id: "c1", name: "f", response: { output: "x" } } };
  const image = { inlineData: { mimeType: "image/png", data: "AAAA" } };
  const { chat } = translate({
    contents: [
      { role: "user", parts: [{ text: "go" }] },
      { role: "model", parts: [{ functionCall: { id: "c1", name: "f", args: {} } }] },
      { role: "user", parts: [response, image, response, image] },
    ],
  });
  assert.deepEqual(chat.messages.slice(2), [
    { role: "tool", tool_call_id: "c1", content: '{"output":"x"}' },
    {
      role: "user",
      content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }],
    },
  ]);
});

Deno.test("Gemini → chat: equal answers to two calls are both kept; rewritten ids pair by name", () => {
  const same = { functionResponse: { name: "f", response: { ok: true } } };
  const { chat } = translate({
    contents: [
      { role: "user", parts: [{ text: "twice" }] },
      { role: "model", parts: [{ functionCall: { name: "f" } }, { functionCall: { name: "f" } }] },
      { role: "user", parts: [same, same] },
      { role: "model", parts: [{ functionCall: { name: "g" } }] },
      {
        role: "user",
        parts: [{ functionResponse: { id: "client-made", name: "g", response: {} } }],
      },
    ],
  });
  assert.equal(chat.messages.filter((message) => message.role === "tool").length, 3);
  const answeredTwice = refusal({
    contents: [
      {
        role: "model",
        parts: [{ functionCall: { id: "a", name: "f" } }, { functionCall: { id: "b", name: "f" } }],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { id: "a", name: "f", response: { n: 1 } } },
          { functionResponse: { id: "a", name: "f", response: { n: 2 } } },
        ],
      },
    ],
  });
  assert.match(answeredTwice.message, /answered already/);
});
