import { GatewayError, invalidRequest } from "../../errors.ts";
import { extensionOf } from "../../gigachat/file_types.ts";
import type {
  ChatMessage,
  ChatRequest,
  FunctionTool,
  HostedTool,
  ReasoningEffort,
  ResponseFormat,
} from "../../openai/chat_request.ts";
import { ChatOrigins, checkToolPairs, type ToolLink } from "../chat_origins.ts";
import { readReasoningToken } from "../responses/reasoning_token.ts";
import type { GeminiContent, GeminiPart, GenerateContentRequest } from "./gemini_request.ts";
import { toJsonSchema } from "./openapi_schema.ts";

/** A Gemini request as the chat pipeline's, where its messages came from, and what to show. */
export interface GeminiTranslation {
  chat: ChatRequest;
  origins: ChatOrigins;
  /** `thinkingConfig.includeThoughts`: the reasoning goes back as `thought` parts. */
  includeThoughts: boolean;
}

type UserPart = Exclude<Extract<ChatMessage, { role: "user" }>["content"], string>[number];
type Assistant = Extract<ChatMessage, { role: "assistant" }>;

/** What the translation of the contents adds to. */
interface Built {
  messages: ChatMessage[];
  origins: ChatOrigins;
  links: ({ kind: "call" | "result" } & ToolLink)[];
  /** Calls made and not answered yet, for responses that name their function but no id. */
  open: { id: string; name: string }[];
}

/** Google's hosted tools GigaChat's v2 API has a counterpart of (API-more.md §9). */
const HOSTED: Readonly<Record<string, HostedTool>> = {
  googleSearch: "web_search",
  googleSearchRetrieval: "web_search",
  urlContext: "url_content_extraction",
};

/**
 * A generateContent request for `model` → the chat pipeline's request: the system
 * instruction first, each turn's parts as chat parts, functionCall / functionResponse parts as
 * tool calls and tool messages (paired by id, else by name), and the generation settings that
 * have a meaning in chat. Pure; a part it cannot carry is a 400 naming it.
 */
export function toChatRequest(
  request: GenerateContentRequest,
  model: string,
  stream: boolean,
): GeminiTranslation {
  const built: Built = { messages: [], origins: new ChatOrigins(".args"), links: [], open: [] };
  const system = (request.systemInstruction?.parts ?? []).map((part, k) =>
    textOnly(part, `systemInstruction.parts[${k}]`)
  ).join("\n");
  if (system !== "") {
    built.origins.message(0, "systemInstruction");
    built.messages.push({ role: "system", content: system });
  }
  request.contents.forEach((content, i) => {
    if (content.role === "model") modelTurn(content, `contents[${i}]`, built);
    else userTurn(content, `contents[${i}]`, built);
  });
  checkToolPairs(built.links, { call: "functionCall", result: "functionResponse" });
  if (built.messages.every((message) => message.role === "system")) {
    throw invalidRequest("'contents' holds no part the model could read.", "contents");
  }
  const config = request.generationConfig ?? {};
  if ((config.candidateCount ?? 1) !== 1) {
    throw invalidRequest(
      "candidateCount must be 1: the gateway gives one candidate per request.",
      "generationConfig.candidateCount",
    );
  }
  const thinking = config.thinkingConfig;
  const tools = toolsOf(request, built.origins);
  const chat: ChatRequest = {
    model,
    messages: built.messages,
    stream,
    stream_options: stream ? { include_usage: true } : undefined,
    max_completion_tokens: config.maxOutputTokens ?? undefined,
    temperature: config.temperature ?? undefined,
    top_p: config.topP ?? undefined,
    stop: config.stopSequences ?? undefined,
    reasoning_effort: effortOf(thinking?.thinkingBudget, thinking?.thinkingLevel),
    response_format: formatOf(config),
    ...tools,
  };
  return { chat, origins: built.origins, includeThoughts: thinking?.includeThoughts === true };
}

/** Tools, the tool choice, and the hosted tools asked for or left out. */
function toolsOf(request: GenerateContentRequest, origins: ChatOrigins): Partial<ChatRequest> {
  const functions: FunctionTool[] = [];
  const hostedTools: HostedTool[] = [];
  const ignoredTools: string[] = [];
  (request.tools ?? []).forEach((tool, i) => {
    (tool.functionDeclarations ?? []).forEach((declaration, k) => {
      const at = `tools[${i}].functionDeclarations[${k}]`;
      const schemaField = declaration.parametersJsonSchema !== undefined
        ? ".parametersJsonSchema"
        : ".parameters";
      origins.tool(functions.length, at, schemaField);
      const parameters = declaration.parametersJsonSchema ??
        (declaration.parameters ? toJsonSchema(declaration.parameters) : undefined);
      functions.push({
        type: "function",
        function: {
          name: declaration.name,
          description: declaration.description ?? undefined,
          parameters: typeof parameters === "object" && parameters !== null
            ? parameters as Record<string, unknown>
            : undefined,
        },
      });
    });
    for (const [key, value] of Object.entries(tool)) {
      if (key === "functionDeclarations" || value === undefined || value === null) continue;
      const hosted = Object.hasOwn(HOSTED, key) ? HOSTED[key] : undefined;
      if (hosted === undefined) ignoredTools.push(key);
      else if (!hostedTools.includes(hosted)) hostedTools.push(hosted);
    }
  });
  const calling = request.toolConfig?.functionCallingConfig;
  const allowed = calling?.allowedFunctionNames ?? [];
  for (const [k, name] of allowed.entries()) {
    if (!functions.some((tool) => tool.function.name === name)) {
      throw invalidRequest(
        `allowedFunctionNames[${k}]: '${name}' is not among the function declarations.`,
        `toolConfig.functionCallingConfig.allowedFunctionNames[${k}]`,
      );
    }
  }
  // Allowed names narrow what is offered; one name under ANY forces that function.
  const offered = allowed.length > 0
    ? functions.filter((tool) => allowed.includes(tool.function.name))
    : functions;
  const mode = calling?.mode;
  const choice: ChatRequest["tool_choice"] = mode === "NONE"
    ? "none"
    : mode === "ANY" && offered.length === 1
    ? { type: "function", function: { name: offered[0].function.name } }
    : mode === "ANY"
    ? "required"
    : undefined;
  return {
    tools: offered.length > 0 ? offered : undefined,
    tool_choice: offered.length > 0 ? choice : undefined,
    ...(hostedTools.length > 0 ? { hostedTools } : {}),
    ...(ignoredTools.length > 0 ? { ignoredTools } : {}),
  };
}

/** `thinkingBudget` (0 off, -1 the model's choice) or `thinkingLevel` as a reasoning effort. */
function effortOf(budget: number | null | undefined, level: string | null | undefined) {
  if (budget === 0) return "none" satisfies ReasoningEffort;
  if (budget !== undefined && budget !== null && budget > 0) {
    return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
  }
  switch (level?.toUpperCase()) {
    case "MINIMAL":
    case "LOW":
      return "low";
    case "MEDIUM":
      return "medium";
    case "HIGH":
      return "high";
    default:
      return undefined;
  }
}

/** `responseMimeType` with its schema as a response format; text needs none. */
function formatOf(
  config: NonNullable<GenerateContentRequest["generationConfig"]>,
): ResponseFormat | undefined {
  const mime = config.responseMimeType?.toLowerCase();
  if (mime === undefined || mime === "text/plain") {
    if (config.responseSchema || config.responseJsonSchema !== undefined) {
      throw invalidRequest(
        "A response schema needs responseMimeType 'application/json'.",
        "generationConfig.responseMimeType",
      );
    }
    return undefined;
  }
  if (mime !== "application/json") {
    throw invalidRequest(
      `responseMimeType '${config.responseMimeType}' is not supported; use 'text/plain' or ` +
        "'application/json'.",
      "generationConfig.responseMimeType",
    );
  }
  const given = config.responseJsonSchema;
  if (
    given !== undefined && given !== null && (typeof given !== "object" || Array.isArray(given))
  ) {
    throw invalidRequest(
      "responseJsonSchema must be a JSON Schema object.",
      "generationConfig.responseJsonSchema",
    );
  }
  const schema = given ?? (config.responseSchema ? toJsonSchema(config.responseSchema) : undefined);
  if (typeof schema !== "object" || schema === null) return { type: "json_object" };
  return {
    type: "json_schema",
    json_schema: { name: "response", schema: schema as Record<string, unknown> },
  };
}

function modelTurn(content: GeminiContent, at: string, built: Built): void {
  const index = built.messages.length;
  built.origins.message(index, at);
  const message: Assistant = { role: "assistant", content: "" };
  let text = "";
  const reasoning = new Set<string>();
  content.parts.forEach((part, k) => {
    const where = `${at}.parts[${k}]`;
    // Our own reasoning comes back in a signature; anyone else's means nothing to GigaChat.
    const signed = part.thoughtSignature ? readReasoningToken(part.thoughtSignature) : undefined;
    if (signed !== undefined) reasoning.add(signed);
    if (part.functionCall) {
      const call = part.functionCall;
      const id = call.id || `gemini_call_${index}_${k}`;
      built.origins.call(index, message.tool_calls?.length ?? 0, `${where}.functionCall`);
      built.links.push({ kind: "call", id, at: `${where}.functionCall` });
      built.open.push({ id, name: call.name });
      (message.tool_calls ??= []).push({
        id,
        type: "function",
        function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
      });
    } else if (typeof part.text === "string" && part.thought !== true) {
      text += part.text;
    }
    // Thought summaries, images the model made, code it ran: nothing GigaChat takes back.
  });
  message.content = text === "" && message.tool_calls ? null : text;
  if (reasoning.size > 0) message.reasoning_content = [...reasoning].join("\n");
  built.messages.push(message);
}

/** A user turn: function responses first (as tool messages), then the rest as one message. */
function userTurn(content: GeminiContent, at: string, built: Built): void {
  const { messages, origins } = built;
  const parts: UserPart[] = [];
  const paths: string[] = [];
  const repeats = resumedRepeats(content);
  content.parts.forEach((part, k) => {
    const where = `${at}.parts[${k}]`;
    if (repeats.has(k)) return;
    const response = part.functionResponse;
    if (response) {
      const id = resultId(response.id, response.name, built);
      built.links.push({ kind: "result", id, at: `${where}.functionResponse` });
      origins.message(messages.length, where);
      messages.push({
        role: "tool",
        tool_call_id: id,
        content: JSON.stringify(response.response ?? {}),
      });
      // Images and files a function returned go to the model with the turn's other parts.
      (response.parts ?? []).forEach((inner, j) => {
        const path = `${where}.functionResponse.parts[${j}]`;
        const converted = mediaPart(inner, path);
        if (converted === undefined) return;
        paths.push(path);
        parts.push(converted);
      });
      return;
    }
    if (part.thought === true || part.functionCall) {
      if (part.functionCall) {
        throw invalidRequest(`${where}: a functionCall belongs in a 'model' turn.`, where);
      }
      return;
    }
    const media = mediaPart(part, where);
    // A part should hold one kind of data; one holding text and media keeps both.
    if (typeof part.text === "string" && media !== undefined) {
      paths.push(where);
      parts.push({ type: "text", text: part.text });
    }
    const converted = media ??
      (typeof part.text === "string" ? { type: "text" as const, text: part.text } : undefined);
    if (converted === undefined) {
      throw invalidRequest(
        `${where}: this part is not supported; send text, inlineData, fileData or ` +
          "functionResponse.",
        where,
      );
    }
    paths.push(where);
    parts.push(converted);
  });
  if (parts.length === 0) return;
  const index = messages.length;
  origins.message(index, at);
  paths.forEach((path, k) => origins.part(index, k, path));
  messages.push({ role: "user", content: parts });
}

/**
 * Parts of a user turn that repeat an earlier one of it: Gemini CLI 0.61 resends a resumed
 * session's function responses (and the images after them) twice in one turn. Only a turn
 * with a repeated response that has an id is such a resend; elsewhere equal parts are kept
 * (two calls of one function may well get equal answers).
 */
function resumedRepeats(content: GeminiContent): Set<number> {
  const keys = content.parts.map((part) =>
    part.functionResponse?.id || part.inlineData ? JSON.stringify(part) : undefined
  );
  const resend = keys.some((key, k) =>
    key !== undefined && content.parts[k].functionResponse && keys.indexOf(key) < k
  );
  const repeats = new Set<number>();
  if (!resend) return repeats;
  keys.forEach((key, k) => {
    if (key !== undefined && keys.indexOf(key) < k) repeats.add(k);
  });
  return repeats;
}

/**
 * The id a functionResponse answers: its own when a call has it, else the oldest open call of
 * its function (a call without an id, or an id the client rewrote).
 */
function resultId(id: string | null | undefined, name: string, built: Built): string {
  const called = id ? built.links.some((link) => link.kind === "call" && link.id === id) : false;
  // An id some call had is that call's (answered twice, it is refused as such).
  if (id && called && !built.open.some((call) => call.id === id)) return id;
  const byId = id ? built.open.findIndex((call) => call.id === id) : -1;
  const at = byId >= 0 ? byId : built.open.findIndex((call) => call.name === name);
  if (at < 0) return id || `unmatched_${name}`;
  const [call] = built.open.splice(at, 1);
  return call.id;
}

/** `inlineData` (an image or a document) or `fileData` (a file id or an image URL). */
function mediaPart(
  part: Pick<GeminiPart, "inlineData" | "fileData">,
  where: string,
): UserPart | undefined {
  if (part.inlineData) {
    const { mimeType, data } = part.inlineData;
    if (mimeType.startsWith("image/")) {
      return { type: "image_url", image_url: { url: `data:${mimeType};base64,${data}` } };
    }
    return {
      type: "file",
      file: { file_data: `data:${mimeType};base64,${data}`, filename: fileName(mimeType) },
    };
  }
  if (part.fileData) {
    const { fileUri, mimeType } = part.fileData;
    if (/^https?:\/\//i.test(fileUri)) {
      if (mimeType === undefined || mimeType.startsWith("image/")) {
        return { type: "image_url", image_url: { url: fileUri } };
      }
      throw invalidRequest(
        `${where}.fileData: only images are fetched by URL; upload a ${mimeType} file to ` +
          "/v1/files and send its id as fileUri.",
        `${where}.fileData.fileUri`,
      );
    }
    // A file uploaded through /v1/files: its id, bare or as Google's `files/<id>`.
    return { type: "file", file: { file_id: fileUri.replace(/^files\//, "") } };
  }
  return undefined;
}

function fileName(mimeType: string): string {
  const extension = extensionOf(mimeType);
  return extension === undefined ? "document" : `document.${extension}`;
}

function textOnly(part: GeminiPart, where: string): string {
  if (typeof part.text === "string") return part.text;
  throw new GatewayError(400, `${where}: the system instruction takes text parts only.`, {
    type: "invalid_request_error",
    param: where,
  });
}
