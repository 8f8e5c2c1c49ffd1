// The fake's v2 chat endpoint (API-more.md §9, samples/v2chat_*): checks a request the way the
// reference describes v2 (content-part arrays, `role: "tool"` results with the call's
// `tools_state_id`, sampling fields only inside `model_options`, tools and `tool_config`,
// function names v2 accepts; v1's top-level fields refused, so a mapping mistake shows) and
// answers in v2's shape: `messages[]` of parts with `tool_state_id`, top-level finish_reason,
// `input_tokens`/`output_tokens` usage; streams as named events ending with
// `response.message.done` and no [DONE], as recorded. Reasoning models reason inline
// (`<think>`), the one documented form: how v2 sends reasoning apart is not recorded.
import { type ChatScript, exampleOf, splitWords } from "./chat.ts";
import type { FakeFiles } from "./files.ts";
import { type FakeHost, REASONING_MODELS, versionedName } from "./hosts.ts";

/** One SSE event of a v2 stream. */
export interface NamedEvent {
  event: string;
  data: string;
}

export type ChatV2Outcome =
  | { kind: "error"; status: number; body: unknown }
  | { kind: "json"; body: unknown }
  | { kind: "stream"; events: NamedEvent[] };

/** A stand-in for a generated JPEG (the JPEG start and end markers around some bytes). */
export const GENERATED_IMAGE = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

/** The sources the fake's web search "finds". */
export const SEARCH_SOURCES = {
  "1": { url: "https://www.python.org/downloads/", title: "Download Python" },
  "2": { url: "https://docs.python.org/3/whatsnew/", title: "What's New in Python" },
};

const ROLES = new Set(["system", "user", "assistant", "tool", "reasoning"]);
const PART_KEYS = new Set(["text", "files", "function_call", "function_result", "inline_data"]);
const TOOL_KEYS = new Set([
  "functions",
  "web_search",
  "code_interpreter",
  "image_generate",
  "url_content_extraction",
  "model_3d_generate",
]);
const OPTION_KEYS = new Set([
  "preset",
  "temperature",
  "top_p",
  "max_tokens",
  "repetition_penalty",
  "update_interval",
  "unnormalized_history",
  "top_logprobs",
  "reasoning",
  "response_format",
]);
/** v1 fields that v2 moved or renamed: at the top level they are a mapping mistake. */
const V1_ONLY = [
  "temperature",
  "top_p",
  "max_tokens",
  "repetition_penalty",
  "update_interval",
  "n",
  "functions",
  "function_call",
  "reasoning_effort",
  "response_format",
  "profanity_check",
];
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** The top-level fields §9 lists for a v2 request. */
const TOP_LEVEL = new Set([
  "model",
  "messages",
  "stream",
  "model_options",
  "tools",
  "tool_config",
  "disable_filter",
  "filter_config",
  "storage",
  "assistant_id",
  "ranker_options",
  "user_info",
  "flags",
]);

interface Part {
  text?: unknown;
  files?: unknown;
  function_call?: { name?: unknown; arguments?: unknown };
  function_result?: { name?: unknown; result?: unknown };
}
interface Message {
  role?: unknown;
  content?: unknown;
  tools_state_id?: unknown;
}
interface Spec {
  name: string;
  parameters?: Record<string, unknown>;
}
interface Request {
  model: string;
  messages: Message[];
  stream?: boolean;
  model_options?: {
    response_format?: { type?: string; schema?: Record<string, unknown> };
    reasoning?: { effort?: string };
  };
  tools?: Record<string, unknown>[];
  tool_config?: { mode?: string; function_name?: string; tool_name?: string };
}

/** Answers one v2 chat request body (already parsed JSON). */
export function answerChatV2(
  body: unknown,
  script: ChatScript | undefined,
  files: FakeFiles,
  host: FakeHost,
): ChatV2Outcome {
  const problem = validate(body, files, host);
  if (problem !== undefined) return problem;
  const request = body as Request;
  const specs = functionSpecs(request);
  const hosted = (request.tools ?? []).map((tool) => Object.keys(tool)[0]).filter((key) =>
    key !== "functions"
  );
  const config = request.tool_config;
  const format = request.model_options?.response_format;
  // A script written for v1's json_schema emulation (a call of an answer function that v2 was
  // not offered) is that answer as v2's native JSON text.
  const scripted = script?.functionCall && format?.type === "json_schema" &&
      !specs.some((spec) => spec.name === script.functionCall?.name)
    ? { ...script, functionCall: undefined, content: JSON.stringify(script.functionCall.arguments) }
    : script ?? defaultScript(request, specs, hosted);
  const reasons = REASONING_MODELS.has(request.model) &&
    request.model_options?.reasoning?.effort !== "none";
  const reasoning = scripted.reasoning ??
    (reasons ? "The user wrote to me; a short, friendly answer fits." : "");
  const parts: Record<string, unknown>[] = [];
  let text = scripted.content ?? "";
  if (reasoning !== "") text = `<think>${reasoning}</think>\n${text}`;
  const tool = config?.mode === "forced" ? config.tool_name : undefined;
  const usedTool = script === undefined
    ? tool ?? (config?.mode !== "none" && specs.length === 0 ? hosted[0] : undefined)
    : undefined;
  if (usedTool === "image_generate") {
    parts.push({
      files: [{
        id: files.addGenerated(GENERATED_IMAGE, "image/jpeg"),
        mime: "image/jpeg",
        target: "image",
      }],
    });
  }
  if (scripted.functionCall) parts.push({ function_call: scripted.functionCall });
  else parts.push({ text });
  if (usedTool === "web_search") {
    (parts.at(-1) as Record<string, unknown>).inline_data = { images: [], sources: SEARCH_SOURCES };
  }
  const stateId = scripted.functionCall || usedTool
    ? { tool_state_id: scripted.functionsStateId ?? crypto.randomUUID() }
    : {};
  const finish = scripted.finishReason ?? (scripted.functionCall ? "function_call" : "stop");
  const model = versionedName(request.model);
  const created = Math.floor(Date.now() / 1000);
  const input = scripted.usage?.prompt_tokens ?? 17;
  const output = scripted.usage?.completion_tokens ?? 3;
  const usage = {
    input_tokens: input,
    input_tokens_details: {
      prompt_tokens: input,
      cached_tokens: scripted.usage?.precached_prompt_tokens ?? 2,
    },
    output_tokens: output,
    total_tokens: input + output,
  };
  if (request.stream !== true) {
    return {
      kind: "json",
      body: {
        model,
        created_at: created,
        messages: [{ role: "assistant", ...stateId, content: parts }],
        finish_reason: finish,
        usage,
      },
    };
  }
  const delta = (content: unknown[], extra: Record<string, unknown> = {}): NamedEvent => ({
    event: "response.message.delta",
    data: JSON.stringify({
      model,
      created_at: created,
      messages: [{ role: "assistant", ...extra, content }],
    }),
  });
  const events: NamedEvent[] = [];
  if (scripted.functionCall || usedTool === "image_generate") {
    // A call (or a file) arrives whole, as v1's function calls do.
    events.push(delta(parts, stateId));
  } else {
    const pieces = scripted.pieces ?? splitWords(text);
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      const part: Record<string, unknown> = { text: piece };
      if (last && usedTool === "web_search") {
        part.inline_data = { images: [], sources: SEARCH_SOURCES };
      }
      events.push(delta([part], i === 0 ? stateId : {}));
    });
  }
  if (usedTool !== undefined) {
    events.push({
      event: "response.tool.completed",
      data: JSON.stringify({
        model,
        created_at: created,
        messages: [{
          role: "reasoning",
          content: [{ tool_execution: { name: usedTool, status: "success", censored: false } }],
        }],
      }),
    });
  }
  events.push({
    event: "response.message.done",
    data: JSON.stringify({ model, created_at: created, finish_reason: finish, usage }),
  });
  return { kind: "stream", events };
}

function defaultScript(request: Request, specs: Spec[], hosted: string[]): ChatScript {
  const config = request.tool_config;
  if (config?.mode === "forced" && config.function_name !== undefined) {
    const spec = specs.find((candidate) => candidate.name === config.function_name);
    return {
      functionCall: {
        name: config.function_name,
        arguments: exampleOf(spec?.parameters) as Record<string, unknown>,
      },
    };
  }
  const format = request.model_options?.response_format;
  if (format?.type === "json_schema") return { content: JSON.stringify(exampleOf(format.schema)) };
  const tool = config?.mode === "forced" ? config.tool_name : specs.length === 0 ? hosted[0] : "";
  if (tool === "web_search") {
    return {
      content: "Python 3.15 is the latest stable release [sources=[2]]. Downloads are on " +
        "python.org [sources=[1, 2]].",
    };
  }
  if (tool === "image_generate") return { content: "The image has been created." };
  if (tool === "url_content_extraction") {
    return { content: "I read the page: it describes the library's main use cases." };
  }
  const last = [...request.messages].reverse().find((m) => m.role === "user");
  const asked = Array.isArray(last?.content)
    ? (last.content as Part[]).map((part) => typeof part.text === "string" ? part.text : "").join(
      "",
    )
    : "";
  return {
    content: `This is a simulated GigaChat answer. You said: "${asked.slice(0, 200)}".`,
  };
}

function functionSpecs(request: Request): Spec[] {
  return (request.tools ?? []).flatMap((tool) => {
    const functions = tool.functions as { specifications?: Spec[] } | undefined;
    return functions?.specifications ?? [];
  });
}

function validate(body: unknown, files: FakeFiles, host: FakeHost): ChatV2Outcome | undefined {
  const fail = (status: number, message: string): ChatV2Outcome => ({
    kind: "error",
    status,
    body: { status, message },
  });
  if (typeof body !== "object" || body === null) return fail(400, "Invalid JSON");
  const request = body as Record<string, unknown>;
  if (typeof request.model !== "string" || !host.chatModels.has(request.model)) {
    return fail(404, "No such model");
  }
  for (const key of V1_ONLY) {
    if (key in request) return fail(422, `${key}: unknown field (v2 takes it in model_options)`);
  }
  for (const key of Object.keys(request)) {
    if (!TOP_LEVEL.has(key)) return fail(422, `${key}: unknown field`);
  }
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    return fail(422, "messages: must not be empty");
  }
  let callState: unknown;
  let callName: unknown;
  for (const [i, m] of (request.messages as Message[]).entries()) {
    const at = `messages[${i}]`;
    if (!ROLES.has(String(m.role))) return fail(422, `${at}.role: unknown role`);
    if (m.role === "system" && i !== 0) return fail(422, "system message must be first");
    if (!Array.isArray(m.content)) return fail(422, `${at}.content: must be an array of parts`);
    for (const [k, part] of (m.content as Part[]).entries()) {
      const keys = typeof part === "object" && part !== null ? Object.keys(part) : [];
      if (keys.length === 0 || keys.some((key) => !PART_KEYS.has(key))) {
        return fail(422, `${at}.content[${k}]: unknown content part`);
      }
      if ("text" in part && typeof part.text !== "string") {
        return fail(422, `${at}.content[${k}].text: must be a string`);
      }
      if (part.files !== undefined) {
        if (m.role !== "user" || !Array.isArray(part.files)) {
          return fail(422, `${at}.content[${k}].files: only user messages carry files`);
        }
        for (const file of part.files as { id?: unknown }[]) {
          if (typeof file?.id !== "string" || !files.has(file.id)) {
            return fail(404, `${at}.content[${k}].files: no file ${file?.id}`);
          }
        }
      }
      const call = part.function_call;
      if (call !== undefined) {
        if (m.role !== "assistant") return fail(422, `${at}: only assistants call functions`);
        if (typeof call.arguments !== "object" || call.arguments === null) {
          return fail(422, `${at}.content[${k}].function_call.arguments: must be an object`);
        }
        callState = m.tools_state_id;
        callName = call.name;
      }
      const result = part.function_result;
      if (result !== undefined) {
        if (m.role !== "tool") return fail(422, `${at}: function results go in tool messages`);
        if (typeof result.name !== "string" || result.name === "") {
          return fail(422, `${at}.content[${k}].function_result.name: required`);
        }
        if (callName !== undefined && result.name !== callName) {
          return fail(422, `${at}: the result's name is not the called function's`);
        }
        const value = result.result;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          return fail(422, `${at}: invalid function result for function json string`);
        }
      }
    }
    if (m.role === "tool") {
      if (!(m.content as Part[]).some((part) => part.function_result !== undefined)) {
        return fail(422, `${at}: a tool message holds a function_result`);
      }
      if (callState !== undefined && m.tools_state_id !== callState) {
        return fail(422, `${at}.tools_state_id: must be the state id of the call it answers`);
      }
    }
  }
  const options = request.model_options;
  if (options !== undefined) {
    if (typeof options !== "object" || options === null) {
      return fail(422, "model_options: must be an object");
    }
    const o = options as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!OPTION_KEYS.has(key)) return fail(422, `model_options.${key}: unknown field`);
    }
    if (typeof o.temperature === "number" && o.temperature <= 0) {
      return fail(422, "model_options.temperature: must be greater than 0");
    }
    const effort = (o.reasoning as { effort?: unknown } | undefined)?.effort;
    if (o.reasoning !== undefined && !["none", "low", "medium", "high"].includes(String(effort))) {
      return fail(422, "model_options.reasoning.effort: must be none, low, medium or high");
    }
    const format = o.response_format as { type?: unknown; schema?: unknown } | undefined;
    if (format !== undefined) {
      if (!["text", "json_schema", "regex"].includes(String(format.type))) {
        return fail(422, "model_options.response_format.type: must be text or json_schema");
      }
      if (format.type === "json_schema" && typeof format.schema !== "object") {
        return fail(422, "model_options.response_format.schema: required for json_schema");
      }
    }
  }
  const tools = request.tools;
  const offered = new Set<string>();
  const names = new Set<string>();
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return fail(422, "tools: must be an array");
    for (const [i, tool] of tools.entries()) {
      const keys = typeof tool === "object" && tool !== null ? Object.keys(tool) : [];
      if (keys.length !== 1 || !TOOL_KEYS.has(keys[0])) {
        return fail(422, `tools[${i}]: must name one tool`);
      }
      offered.add(keys[0]);
    }
    for (const spec of functionSpecs(request as unknown as Request)) {
      if (typeof spec.name !== "string" || !FUNCTION_NAME.test(spec.name)) {
        return fail(422, `tools: invalid function name ${JSON.stringify(spec.name)}`);
      }
      if (typeof spec.parameters !== "object" || spec.parameters === null) {
        return fail(422, `tools: function ${spec.name} needs parameters`);
      }
      names.add(spec.name);
    }
  }
  const config = request.tool_config as Request["tool_config"];
  if (config !== undefined) {
    if (!["auto", "none", "forced"].includes(String(config.mode))) {
      return fail(422, "tool_config.mode: must be auto, none or forced");
    }
    if (config.mode === "forced") {
      if (config.function_name !== undefined && !names.has(config.function_name)) {
        return fail(422, "tool_config.function_name: the forced function is not in tools");
      }
      if (config.tool_name !== undefined && !offered.has(config.tool_name)) {
        return fail(422, "tool_config.tool_name: the forced tool is not in tools");
      }
      if (config.function_name === undefined && config.tool_name === undefined) {
        return fail(422, "tool_config: forced needs function_name or tool_name");
      }
    }
  }
  return undefined;
}
