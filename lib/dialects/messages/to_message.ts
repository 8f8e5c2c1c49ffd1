import {
  type OpenAIChatCompletion,
  type OpenAIFinishReason,
  type OpenAIToolCall,
  type OpenAIUrlCitation,
  type OpenAIUsage,
  STOP_SEQUENCE,
} from "../../openai/types.ts";
import { reasoningToken } from "../responses/reasoning_token.ts";
import { toAnthropicToolId } from "./to_chat_request.ts";

/** A content block of an answer. */
export type AnswerBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | {
    type: "server_tool_use";
    id: string;
    name: "web_search";
    input: Record<string, never>;
    caller: { type: "direct" };
  }
  | {
    type: "web_search_tool_result";
    tool_use_id: string;
    content: WebSearchResult[];
    caller: { type: "direct" };
  };

/** A page web search found, as Anthropic lists them. */
export interface WebSearchResult {
  type: "web_search_result";
  url: string;
  title: string;
  /** Anthropic's opaque page content; GigaChat gives none, so it is empty. */
  encrypted_content: string;
  page_age: null;
}

export type StopReason = "end_turn" | "max_tokens" | "tool_use" | "stop_sequence" | "refusal";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  server_tool_use?: { web_search_requests: number; web_fetch_requests: number };
}

/** The Message object. */
export interface MessageObject {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnswerBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** A new `msg_…` id. */
export function newMessageId(): string {
  return `msg_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Chat's finish reason as Anthropic's stop reason (GigaChat's blacklist is a refusal). */
export function toStopReason(finish: OpenAIFinishReason | null | undefined): StopReason {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      // stop, or nothing said: the turn ended.
      return "end_turn";
  }
}

/** Chat usage in Anthropic's terms: its input_tokens do not count the cached ones. */
export function toAnthropicUsage(usage: OpenAIUsage | undefined): AnthropicUsage {
  const cached = usage?.prompt_tokens_details.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
}

/** A thinking block whose signature the gateway reads back when it returns in history. */
export function thinkingBlock(text: string): AnswerBlock {
  return { type: "thinking", thinking: text, signature: reasoningToken(text) };
}

/** A chat tool call as a tool_use block, its arguments as an object. */
export function toolUseBlock(call: OpenAIToolCall): AnswerBlock {
  let input: unknown = {};
  try {
    input = JSON.parse(call.function.arguments || "{}");
  } catch {
    input = { arguments: call.function.arguments };
  }
  return { type: "tool_use", id: toAnthropicToolId(call.id), name: call.function.name, input };
}

/**
 * The pages a searched answer cites as Anthropic's web search blocks: the server tool's use
 * (GigaChat does not say what it searched for, so its input is empty) and its result. Each
 * page once, in the order first cited. Empty when there are none.
 */
export function webSearchBlocks(
  annotations: readonly OpenAIUrlCitation[] | undefined,
): AnswerBlock[] {
  if (annotations === undefined || annotations.length === 0) return [];
  const pages = new Map<string, WebSearchResult>();
  for (const { url_citation: c } of annotations) {
    if (pages.has(c.url)) continue;
    pages.set(c.url, {
      type: "web_search_result",
      url: c.url,
      title: c.title,
      encrypted_content: "",
      page_age: null,
    });
  }
  const id = `srvtoolu_${crypto.randomUUID().replaceAll("-", "")}`;
  return [
    { type: "server_tool_use", id, name: "web_search", input: {}, caller: { type: "direct" } },
    {
      type: "web_search_tool_result",
      tool_use_id: id,
      content: [...pages.values()],
      caller: { type: "direct" },
    },
  ];
}

/** A whole chat completion (its first choice) as a Message. */
export function toMessage(completion: OpenAIChatCompletion, model: string): MessageObject {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content: AnswerBlock[] = [];
  if (message?.reasoning_content) content.push(thinkingBlock(message.reasoning_content));
  if (message?.content) content.push({ type: "text", text: message.content });
  for (const call of message?.tool_calls ?? []) content.push(toolUseBlock(call));
  // Last, as a stream must send them: GigaChat's sources are known only when the text is whole.
  content.push(...webSearchBlocks(message?.annotations));
  return {
    id: newMessageId(),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: choice?.[STOP_SEQUENCE] === undefined
      ? toStopReason(choice?.finish_reason)
      : "stop_sequence",
    stop_sequence: choice?.[STOP_SEQUENCE] ?? null,
    usage: {
      ...toAnthropicUsage(completion.usage),
      ...(message?.annotations?.length
        ? { server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 } }
        : {}),
    },
  };
}
