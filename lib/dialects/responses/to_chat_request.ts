import { invalidRequest } from "../../errors.ts";
import type { ChatMessage, ChatRequest, HostedTool } from "../../openai/chat_request.ts";
import { readReasoningToken } from "./reasoning_token.ts";
import { ChatOrigins, checkToolPairs, type ToolLink } from "../chat_origins.ts";
import type { InputItem, ResponsesRequest, ResponsesTool } from "./responses_request.ts";

/** How a chat tool name maps back to the Responses tool it stands for. */
export interface ToolOrigin {
  kind: "function" | "custom";
  name: string;
  namespace?: string;
}

/** A Responses request as the chat pipeline's request, with what is needed to map back. */
export interface ChatTranslation {
  chat: ChatRequest;
  /** Chat tool name → the Responses tool (custom and namespaced ones are renamed). */
  tools: ReadonlyMap<string, ToolOrigin>;
  /** Where each chat message came from in the client's request. */
  origins: ChatOrigins;
}

/** Hosted tools GigaChat's v2 API has a counterpart of (API-more.md §9). */
const GIGACHAT_HOSTED: Readonly<Record<string, HostedTool>> = {
  web_search: "web_search",
  web_search_2025_08_26: "web_search",
  web_search_preview: "web_search",
  web_search_preview_2025_03_11: "web_search",
  image_generation: "image_generate",
};

/** Tools that run at OpenAI, not in the client, and that GigaChat has nothing like. */
const HOSTED = new Set([
  "file_search",
  "code_interpreter",
  "computer_use_preview",
  "computer_use",
  "mcp",
  "local_shell",
  "shell",
  "apply_patch",
]);

/** A custom tool's free text travels as this one string argument. */
const CUSTOM_INPUT = {
  type: "object",
  properties: { input: { type: "string", description: "The raw input for the tool." } },
  required: ["input"],
};

/**
 * A Responses request (after `history`, the stored input and output of a previous response)
 * → the chat pipeline's request: items become messages, tools become function tools, and
 * settings keep their meaning. Pure; an item or tool it cannot carry is a 400 naming it.
 */
export function toChatRequest(
  request: ResponsesRequest,
  history: readonly InputItem[] = [],
): ChatTranslation {
  const { tools, origins: toolOrigins, ignored, hosted, paths: toolPaths } = toChatTools(
    request.tools ?? [],
  );
  const input = typeof request.input === "string"
    ? [{ type: "message", role: "user", content: request.input }]
    : request.input ?? [];
  const messages: ChatMessage[] = [];
  const origins = new ChatOrigins(".arguments");
  toolPaths.forEach((at, index) => origins.tool(index, at, ".parameters"));
  origins.field("response_format.json_schema.schema", "text.format.schema");
  origins.field("response_format", "text.format");
  if (request.instructions) {
    origins.message(0, "instructions");
    messages.push({ role: "system", content: request.instructions });
  }
  toChatMessages([...history, ...input], history.length, messages, origins);
  if (messages.length === 0) throw invalidRequest("The request needs some 'input'.", "input");
  const format = request.text?.format;
  const chat: ChatRequest = {
    model: request.model,
    messages,
    stream: request.stream === true,
    stream_options: request.stream ? { include_usage: true } : undefined,
    max_completion_tokens: request.max_output_tokens ?? undefined,
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    reasoning_effort: request.reasoning?.effort === "max"
      ? "xhigh"
      : request.reasoning?.effort ?? undefined,
    tools: tools.length > 0 ? tools : undefined,
    tool_choice: toChatToolChoice(request.tool_choice, toolOrigins),
    ...(hosted.length > 0 ? { hostedTools: hosted } : {}),
    ...hostedChoice(request.tool_choice),
    ...(ignored.length > 0 ? { ignoredTools: ignored } : {}),
    response_format: format === undefined || format.type === "text"
      ? undefined
      : format.type === "json_object"
      ? { type: "json_object" }
      : {
        type: "json_schema",
        json_schema: {
          name: format.name,
          description: format.description,
          schema: format.schema,
          strict: format.strict,
        },
      },
  };
  return { chat, tools: toolOrigins, origins };
}

/** A tool_choice that forces a hosted tool GigaChat has (`{type: "web_search"}`). */
function hostedChoice(
  choice: ResponsesRequest["tool_choice"],
): Pick<ChatRequest, "hostedToolChoice"> {
  if (typeof choice !== "object" || choice === null) return {};
  const tool = Object.hasOwn(GIGACHAT_HOSTED, choice.type)
    ? GIGACHAT_HOSTED[choice.type]
    : undefined;
  return tool === undefined ? {} : { hostedToolChoice: tool };
}

function toChatTools(list: readonly ResponsesTool[]) {
  const tools: NonNullable<ChatRequest["tools"]> = [];
  /** Where each chat tool came from in the client's `tools`. */
  const paths: string[] = [];
  const origins = new Map<string, ToolOrigin>();
  const ignored: string[] = [];
  const hosted: HostedTool[] = [];
  const add = (tool: ResponsesTool, at: string, namespace?: string) => {
    const name = typeof tool.name === "string" ? tool.name : "";
    if (name === "") throw invalidRequest(`${at} needs a 'name'.`, at);
    const chatName = namespace === undefined ? name : `${namespace}__${name}`;
    const description = typeof tool.description === "string" ? tool.description : undefined;
    paths[tools.length] = at;
    if (tool.type === "function") {
      const parameters = typeof tool.parameters === "object" && tool.parameters !== null
        ? tool.parameters as Record<string, unknown>
        : undefined;
      tools.push({ type: "function", function: { name: chatName, description, parameters } });
      origins.set(chatName, { kind: "function", name, namespace });
    } else {
      tools.push({
        type: "function",
        function: { name: chatName, description, parameters: CUSTOM_INPUT },
      });
      origins.set(chatName, { kind: "custom", name, namespace });
    }
  };
  list.forEach((tool, i) => {
    const at = `tools[${i}]`;
    if (tool.type === "function" || tool.type === "custom") return add(tool, at);
    if (tool.type === "namespace") {
      const inner = Array.isArray(tool.tools) ? tool.tools as ResponsesTool[] : [];
      const namespace = typeof tool.name === "string" ? tool.name : "";
      if (namespace === "") throw invalidRequest(`${at} needs a 'name'.`, at);
      inner.forEach((child, k) => {
        if (child.type !== "function" && child.type !== "custom") {
          throw invalidRequest(
            `${at}.tools[${k}]: a namespace holds function or custom tools.`,
            at,
          );
        }
        add(child, `${at}.tools[${k}]`, namespace);
      });
      return;
    }
    const gigachat = Object.hasOwn(GIGACHAT_HOSTED, tool.type)
      ? GIGACHAT_HOSTED[tool.type]
      : undefined;
    if (gigachat !== undefined) return void (hosted.includes(gigachat) || hosted.push(gigachat));
    if (HOSTED.has(tool.type)) return void ignored.push(tool.type);
    throw invalidRequest(`${at}: tool type '${tool.type}' is not supported.`, `${at}.type`);
  });
  return { tools, origins, ignored, hosted, paths };
}

function toChatToolChoice(
  choice: ResponsesRequest["tool_choice"],
  origins: ReadonlyMap<string, ToolOrigin>,
): ChatRequest["tool_choice"] {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === "string") return choice;
  if ((choice.type === "function" || choice.type === "custom") && choice.name) {
    const chatName = [...origins].find(([, origin]) => origin.name === choice.name)?.[0];
    if (chatName === undefined) {
      throw invalidRequest(
        `tool_choice names '${choice.name}', which is not among the tools.`,
        "tool_choice",
      );
    }
    return { type: "function", function: { name: chatName } };
  }
  // allowed_tools, or a hosted tool: the model chooses among what it has.
  return "auto";
}

/** The chat name of a tool call from history: namespaced ones as they were offered. */
function chatNameOf(item: InputItem): string {
  const name = String(item.name ?? "");
  return typeof item.namespace === "string" && item.namespace !== ""
    ? `${item.namespace}__${name}`
    : name;
}

/** Input items (stored history first) → chat messages appended to `out`, origins noted. */
function toChatMessages(
  items: readonly InputItem[],
  historyLength: number,
  out: ChatMessage[],
  origins: ChatOrigins,
): void {
  const links: ({ kind: "call" | "result" } & ToolLink)[] = [];
  let reasoning = "";
  /** The assistant message tool calls join: the last one, if nothing came after it. */
  const assistant = (at: string) => {
    const last = out.at(-1);
    if (last?.role === "assistant") return last;
    const message: Extract<ChatMessage, { role: "assistant" }> = {
      role: "assistant",
      content: null,
    };
    origins.message(out.length, at);
    out.push(message);
    return message;
  };
  const takeReasoning = (message: Extract<ChatMessage, { role: "assistant" }>) => {
    if (reasoning === "") return;
    message.reasoning_content = (message.reasoning_content ?? "") + reasoning;
    reasoning = "";
  };
  items.forEach((item, i) => {
    // Items from a stored response are named by where they stand in this request's input.
    const at = i < historyLength ? `previous_response_id` : `input[${i - historyLength}]`;
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    // Reasoning belongs to the answer that follows it (a hosted tool's record may stand in
    // between); anything else (a user turn, a tool's output) means that answer was never sent,
    // and it is left out, not put on a later turn's answer.
    const answers = type === "reasoning" || type === "function_call" ||
      type === "custom_tool_call" || type === "image_generation_call" ||
      type === "web_search_call" || (type === "message" && item.role === "assistant");
    if (!answers) reasoning = "";
    switch (type) {
      case "message": {
        const role = item.role;
        if (role === "assistant") {
          const message = assistant(at);
          const text = textOf(item.content, at, ["output_text", "input_text", "refusal"]);
          message.content = message.content ? `${message.content}${text}` : text;
          takeReasoning(message);
          return;
        }
        if (role === "system" || role === "developer") {
          origins.message(out.length, at);
          out.push({ role, content: textOf(item.content, at, ["input_text"]) });
          return;
        }
        if (role === "user") {
          const content = userContent(item.content, at);
          if (Array.isArray(content)) {
            content.forEach((_, k) => origins.part(out.length, k, `${at}.content[${k}]`));
          }
          origins.message(out.length, at);
          out.push({ role: "user", content });
          return;
        }
        throw invalidRequest(`${at}: role '${String(role)}' is not supported.`, `${at}.role`);
      }
      case "function_call":
      case "custom_tool_call": {
        const callId = String(item.call_id ?? "");
        if (callId === "") throw invalidRequest(`${at} needs a 'call_id'.`, `${at}.call_id`);
        const message = assistant(at);
        takeReasoning(message);
        origins.call(out.length - 1, message.tool_calls?.length ?? 0, at);
        links.push({ kind: "call", id: callId, at });
        const args = type === "function_call"
          ? String(item.arguments ?? "{}")
          : JSON.stringify({ input: String(item.input ?? "") });
        (message.tool_calls ??= []).push({
          id: callId,
          type: "function",
          function: { name: chatNameOf(item), arguments: args },
        });
        return;
      }
      case "function_call_output":
      case "custom_tool_call_output": {
        const callId = String(item.call_id ?? "");
        if (callId === "") throw invalidRequest(`${at} needs a 'call_id'.`, `${at}.call_id`);
        // Images and files a tool returned (Codex's view_image, MCP screenshots) go to the
        // model in a user message after the result, as GigaChat takes them nowhere else.
        const parts = Array.isArray(item.output) ? item.output : [];
        const seen = parts.flatMap((part, j) =>
          part.type === "input_image" || part.type === "input_file" ? [{ part, j }] : []
        );
        const output = textOf(item.output, at, ["input_text", "output_text"], `${at}.output`, [
          "input_image",
          "input_file",
        ]);
        links.push({ kind: "result", id: callId, at: `${at}.call_id` });
        origins.message(out.length, at);
        out.push({ role: "tool", tool_call_id: callId, content: output });
        if (seen.length > 0) {
          const content = userContent(
            seen.map(({ part }) => part),
            at,
            (k) => `${at}.output[${seen[k].j}]`,
          );
          seen.forEach(({ j }, k) => origins.part(out.length, k, `${at}.output[${j}]`));
          origins.message(out.length, at);
          out.push({ role: "user", content });
        }
        return;
      }
      case "reasoning": {
        const encrypted = typeof item.encrypted_content === "string"
          ? readReasoningToken(item.encrypted_content)
          : undefined;
        const summary = Array.isArray(item.summary)
          ? item.summary.map((part) => String((part as { text?: unknown }).text ?? "")).join("\n")
          : "";
        reasoning += encrypted ?? summary;
        return;
      }
      case "image_generation_call":
      case "web_search_call":
        // A hosted tool's record from an earlier turn: the answer it led to is in the
        // message that follows, and GigaChat takes no such item back.
        return;
      default:
        throw invalidRequest(
          `${at}: input item type '${String(type)}' is not supported.`,
          `${at}.type`,
        );
    }
  });
  checkToolPairs(links, { call: "function_call", result: "function_call_output" });
}

/**
 * Text parts joined; a part of a kind in `skip` is left out, any other part is a 400 naming it.
 * `partsAt` is where the parts are (`input[2].content`, `input[3].output`).
 */
function textOf(
  content: unknown,
  at: string,
  kinds: readonly string[],
  partsAt = `${at}.content`,
  skip: readonly string[] = [],
): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidRequest(`${at}: 'content' is missing.`, at);
  return content.map((part, k) => {
    const kind = String((part as { type?: unknown }).type);
    if (skip.includes(kind)) return "";
    if (!kinds.includes(kind)) {
      throw invalidRequest(
        `${partsAt}[${k}]: a '${kind}' part is not taken here.`,
        `${partsAt}[${k}]`,
      );
    }
    const record = part as { text?: unknown; refusal?: unknown };
    return String(record.text ?? record.refusal ?? "");
  }).join("");
}

type UserContent = Extract<ChatMessage, { role: "user" }>["content"];

function userContent(
  content: unknown,
  at: string,
  pathOf: (k: number) => string = (k) => `${at}.content[${k}]`,
): UserContent {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidRequest(`${at}: 'content' is missing.`, at);
  return content.map((part, k) => {
    const record = part as Record<string, unknown>;
    const where = pathOf(k);
    switch (record.type) {
      case "input_text":
        return { type: "text" as const, text: String(record.text ?? "") };
      case "input_image": {
        if (typeof record.image_url === "string") {
          return { type: "image_url" as const, image_url: { url: record.image_url } };
        }
        if (typeof record.file_id === "string") {
          return { type: "file" as const, file: { file_id: record.file_id } };
        }
        throw invalidRequest(`${where}: an input_image needs image_url or file_id.`, where);
      }
      case "input_file":
        if (typeof record.file_data !== "string" && typeof record.file_id !== "string") {
          throw invalidRequest(
            `${where}: an input_file needs file_data or file_id` +
              (typeof record.file_url === "string" ? " (file_url is not fetched here)." : "."),
            where,
          );
        }
        return {
          type: "file" as const,
          file: {
            file_data: typeof record.file_data === "string" ? record.file_data : undefined,
            file_id: typeof record.file_id === "string" ? record.file_id : undefined,
            filename: typeof record.filename === "string" ? record.filename : undefined,
          },
        };
      default:
        throw invalidRequest(`${where}: a '${String(record.type)}' part is not supported.`, where);
    }
  });
}
