import { invalidRequest } from "../../errors.ts";
import { extensionOf, fileTypeOf } from "../../gigachat/file_types.ts";
import type {
  ChatMessage,
  ChatRequest,
  HostedTool,
  ReasoningEffort,
} from "../../openai/chat_request.ts";
import { readReasoningToken } from "../responses/reasoning_token.ts";
import { ChatOrigins, checkToolPairs, type ToolLink } from "../chat_origins.ts";
import type { ContentBlock, MessagesRequest } from "./messages_request.ts";

/** A Messages request as the chat pipeline's request, and where its messages came from. */
export interface ChatTranslation {
  chat: ChatRequest;
  origins: ChatOrigins;
}

/** What the translation of one message adds to: the chat messages and their origins. */
interface Built {
  messages: ChatMessage[];
  origins: ChatOrigins;
  tools: ({ kind: "call" | "result" } & ToolLink)[];
}

/** Anthropic's server tools GigaChat's v2 API has a counterpart of (API-more.md §9). */
function gigaChatToolOf(type: string): HostedTool | undefined {
  if (/^web_search_\d+$/.test(type)) return "web_search";
  if (/^web_fetch_\d+$/.test(type)) return "url_content_extraction";
  return undefined;
}

/** Anthropic's tool ids carry the same state as chat's: `toolu_<x>` is `call_<x>`. */
export function toChatToolId(id: string): string {
  return id.startsWith("toolu_") ? `call_${id.slice("toolu_".length)}` : id;
}

/** The Anthropic tool id of a chat tool call. */
export function toAnthropicToolId(id: string): string {
  return id.startsWith("call_") ? `toolu_${id.slice("call_".length)}` : `toolu_${id}`;
}

type UserPart = Exclude<Extract<ChatMessage, { role: "user" }>["content"], string>[number];

/**
 * A Messages request → the chat pipeline's request: system text first, content blocks as
 * chat parts, tool_use / tool_result as tool calls and tool messages, thinking as reasoning
 * history, and the settings that have a meaning in chat. Pure; a block it cannot carry is a
 * 400 naming it.
 */
export function toChatRequest(request: MessagesRequest): ChatTranslation {
  const built: Built = { messages: [], origins: new ChatOrigins(".input"), tools: [] };
  const { messages, origins } = built;
  const system = request.system === undefined || request.system === null
    ? ""
    : textOf(request.system, "system");
  if (system) {
    origins.message(messages.length, "system");
    messages.push({ role: "system", content: system });
  }
  request.messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (message.role === "system") {
      origins.message(messages.length, at);
      messages.push({ role: "system", content: textOf(message.content, `${at}.content`) });
    } else if (message.role === "assistant") {
      assistantMessage(message.content, at, built);
    } else {
      userMessages(message.content, at, built);
    }
  });
  checkToolPairs(built.tools, { call: "tool_use block", result: "tool_result block" });
  const ignoredTools: string[] = [];
  const hostedTools: HostedTool[] = [];
  /** Server tool name (as tool_choice names it) → GigaChat's tool. */
  const hostedNames = new Map<string, HostedTool>();
  const tools: NonNullable<ChatRequest["tools"]> = [];
  (request.tools ?? []).forEach((tool, i) => {
    // Server tools (web_search_*, bash_*, code_execution_*, ...) have a versioned type and run
    // at Anthropic; GigaChat runs its own web search and URL reading, and nothing else.
    if (tool.type !== undefined && tool.type !== null && tool.type !== "custom") {
      const hosted = gigaChatToolOf(tool.type);
      if (hosted === undefined) return void ignoredTools.push(tool.type);
      if (!hostedTools.includes(hosted)) hostedTools.push(hosted);
      if (tool.name) hostedNames.set(tool.name, hosted);
      return;
    }
    if (!tool.name) throw invalidRequest(`tools[${i}] needs a 'name'.`, `tools[${i}].name`);
    origins.tool(tools.length, `tools[${i}]`, ".input_schema");
    tools.push({
      type: "function",
      function: {
        name: tool.name,
        description: typeof tool.description === "string" ? tool.description : undefined,
        parameters: typeof tool.input_schema === "object" && tool.input_schema !== null
          ? tool.input_schema as Record<string, unknown>
          : undefined,
      },
    });
  });
  const choice = request.tool_choice;
  const forcedHosted = choice?.type === "tool" && choice.name
    ? hostedNames.get(choice.name)
    : undefined;
  const chat: ChatRequest = {
    model: request.model,
    messages,
    stream: request.stream === true,
    stream_options: request.stream ? { include_usage: true } : undefined,
    max_completion_tokens: request.max_tokens,
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    stop: request.stop_sequences ?? undefined,
    reasoning_effort: effortOf(request),
    tools: tools.length > 0 ? tools : undefined,
    tool_choice: choice === undefined || choice === null
      ? undefined
      : choice.type === "any"
      ? "required"
      : forcedHosted !== undefined
      ? "auto"
      : choice.type === "tool" && choice.name
      ? { type: "function", function: { name: choice.name } }
      : choice.type === "none"
      ? "none"
      : "auto",
    ...(hostedTools.length > 0 ? { hostedTools } : {}),
    ...(forcedHosted !== undefined ? { hostedToolChoice: forcedHosted } : {}),
    ...(ignoredTools.length > 0 ? { ignoredTools } : {}),
  };
  return { chat, origins };
}

/** `thinking` and `output_config.effort` as a reasoning effort. */
function effortOf(request: MessagesRequest): ReasoningEffort | undefined {
  const effort = request.output_config?.effort;
  if (effort === "low" || effort === "medium" || effort === "high") return effort;
  if (effort === "max") return "high";
  const thinking = request.thinking;
  if (thinking?.type === "disabled") return "none";
  if (thinking?.type === "enabled") {
    const budget = thinking.budget_tokens ?? 0;
    return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
  }
  return undefined;
}

function textOf(content: string | ContentBlock[], at: string): string {
  if (typeof content === "string") return content;
  return content.map((block, k) => {
    if (block.type !== "text") {
      throw invalidRequest(
        `${at}[${k}]: a '${block.type}' block is not taken here.`,
        `${at}[${k}]`,
      );
    }
    return String(block.text ?? "");
  }).join("\n");
}

function assistantMessage(content: string | ContentBlock[], at: string, built: Built): void {
  const index = built.messages.length;
  built.origins.message(index, at);
  if (typeof content === "string") return void built.messages.push({ role: "assistant", content });
  const message: Extract<ChatMessage, { role: "assistant" }> = { role: "assistant", content: "" };
  let text = "";
  let reasoning = "";
  content.forEach((block, k) => {
    switch (block.type) {
      case "text":
        text += String(block.text ?? "");
        return;
      case "thinking": {
        const signed = typeof block.signature === "string"
          ? readReasoningToken(block.signature)
          : undefined;
        reasoning += signed ?? String(block.thinking ?? "");
        return;
      }
      case "redacted_thinking":
      case "server_tool_use":
      case "web_search_tool_result":
      case "web_fetch_tool_result":
        // Anthropic's encrypted reasoning means nothing to GigaChat, and a server tool's
        // record of an earlier turn is in the text that follows it.
        return;
      case "tool_use":
        built.origins.call(index, message.tool_calls?.length ?? 0, `${at}.content[${k}]`);
        built.tools.push({ kind: "call", id: String(block.id), at: `${at}.content[${k}]` });
        (message.tool_calls ??= []).push({
          id: toChatToolId(String(block.id ?? "")),
          type: "function",
          function: {
            name: String(block.name ?? ""),
            arguments: JSON.stringify(block.input ?? {}),
          },
        });
        return;
      default:
        throw invalidRequest(
          `${at}.content[${k}]: a '${block.type}' block is not supported.`,
          `${at}.content[${k}]`,
        );
    }
  });
  message.content = text === "" && message.tool_calls ? null : text;
  if (reasoning) message.reasoning_content = reasoning;
  built.messages.push(message);
}

/** A user turn: tool results first (as tool messages), then the rest as one user message. */
function userMessages(content: string | ContentBlock[], at: string, built: Built): void {
  const { messages, origins } = built;
  if (typeof content === "string") {
    origins.message(messages.length, at);
    return void messages.push({ role: "user", content });
  }
  const parts: UserPart[] = [];
  const partPaths: string[] = [];
  content.forEach((block, k) => {
    const where = `${at}.content[${k}]`;
    if (block.type === "tool_result") {
      const inner = typeof block.content === "string" || Array.isArray(block.content)
        ? block.content as string | ContentBlock[]
        : "";
      const blocks = typeof inner === "string" ? [{ type: "text", text: inner }] : inner;
      // Text (and a search result's or a text document's text) is the result; images and
      // PDFs go to the model in the user turn that carries the results.
      const texts: string[] = [];
      blocks.forEach((inner, j) => {
        const path = `${where}.content[${j}]`;
        switch (inner.type) {
          case "text":
            return void texts.push(String(inner.text ?? ""));
          case "search_result": {
            const found = inner as { title?: unknown; source?: unknown; content?: unknown };
            const body = Array.isArray(found.content)
              ? found.content.map((b) => String((b as { text?: unknown }).text ?? "")).join("\n")
              : "";
            return void texts.push([found.title, found.source, body].filter(Boolean).join("\n"));
          }
          case "tool_reference":
            // A deferred tool loaded by tool search: GigaChat has all tools offered at once.
            return;
          case "image":
          case "document": {
            const part = inner.type === "image" ? imagePart(inner, path) : userPart(inner, path);
            if (part.type === "text") return void texts.push((part as { text: string }).text);
            partPaths.push(path);
            return void parts.push(part);
          }
          default:
            throw invalidRequest(
              `${path}: a '${inner.type}' block is not taken in a tool_result.`,
              path,
            );
        }
      });
      const text = texts.join("\n");
      built.tools.push({
        kind: "result",
        id: String(block.tool_use_id),
        at: `${where}.tool_use_id`,
      });
      origins.message(messages.length, where);
      messages.push({
        role: "tool",
        tool_call_id: toChatToolId(String(block.tool_use_id)),
        content: block.is_error === true ? JSON.stringify({ error: text }) : text,
      });
      return;
    }
    partPaths.push(where);
    parts.push(userPart(block, where));
  });
  if (parts.length === 0) return;
  const index = messages.length;
  origins.message(index, at);
  partPaths.forEach((path, k) => origins.part(index, k, path));
  messages.push({ role: "user", content: parts });
}

function userPart(block: ContentBlock, where: string): UserPart {
  switch (block.type) {
    case "text":
      return { type: "text", text: String(block.text ?? "") };
    case "image":
      return imagePart(block, where);
    case "document": {
      const source = block.source as {
        type?: string;
        media_type?: string;
        data?: string;
        content?: string | ContentBlock[];
      };
      if (source?.type === "text") return { type: "text", text: String(source.data ?? "") };
      // A custom-content document: its text blocks are the document.
      if (source?.type === "content") {
        const inner = source.content ?? "";
        return {
          type: "text",
          text: typeof inner === "string" ? inner : textOf(inner, `${where}.source.content`),
        };
      }
      if (source?.type === "base64" && typeof source.data === "string") {
        const mediaType = source.media_type ?? "application/pdf";
        return {
          type: "file",
          file: {
            file_data: `data:${mediaType};base64,${source.data}`,
            filename: documentName(block.title, mediaType),
          },
        };
      }
      throw invalidRequest(`${where}: a document needs a base64 or text source.`, where);
    }
    default:
      throw invalidRequest(`${where}: a '${block.type}' block is not supported.`, where);
  }
}

function imagePart(block: ContentBlock, where: string): UserPart {
  const source = block.source as {
    type?: string;
    media_type?: string;
    data?: string;
    url?: string;
  };
  if (source?.type === "base64" && typeof source.data === "string") {
    return {
      type: "image_url",
      image_url: { url: `data:${source.media_type ?? "image/png"};base64,${source.data}` },
    };
  }
  if (source?.type === "url" && typeof source.url === "string") {
    return { type: "image_url", image_url: { url: source.url } };
  }
  throw invalidRequest(`${where}: an image needs a base64 or url source.`, where);
}

/**
 * A base64 document's file name: its title, else `document`, with the extension of its media
 * type when the name has none (a text/plain document is no `document.pdf`).
 */
function documentName(title: unknown, mediaType: string): string {
  const name = typeof title === "string" && title.trim() !== "" ? title : "document";
  const extension = extensionOf(mediaType);
  if (extension === undefined) return name;
  // "Version 1.2" has no extension; "notes.txt" keeps its own, which says the same type.
  const named = fileTypeOf(name, undefined)?.mime;
  return named !== undefined && extensionOf(named) === extension ? name : `${name}.${extension}`;
}
