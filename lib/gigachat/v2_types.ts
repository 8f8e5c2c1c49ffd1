// GigaChat v2 chat wire types (API-more.md §9, samples/v2chat_*). Only what the gateway reads
// or writes.

/** One part of a v2 message's content; a part carries one of these fields. */
export interface GigaChatV2Part {
  text?: string;
  /** Attachments on the way up; generated files (images) on the way down. */
  files?: GigaChatV2File[];
  /** `arguments` is an object, as in v1. */
  function_call?: { name: string; arguments: Record<string, unknown> };
  /** In `role: "tool"` messages; `result` must be a JSON object, as v1's function results. */
  function_result?: { name: string; result: Record<string, unknown> };
  /** Web search sources, keyed by the numbers the text cites as `[sources=[2]]`. */
  inline_data?: { sources?: Record<string, GigaChatV2Source>; images?: unknown[] };
  /** A hosted tool's progress (`response.tool.completed`). */
  tool_execution?: { name?: string; status?: string; censored?: boolean };
}

export interface GigaChatV2File {
  id: string;
  mime?: string;
  /** image, audio, cover, video, 3dmodel (internal format doc). */
  target?: string;
}

export interface GigaChatV2Source {
  url?: string;
  title?: string;
}

export type GigaChatV2Role = "system" | "user" | "assistant" | "tool" | "reasoning";

export interface GigaChatV2Message {
  role: GigaChatV2Role;
  content: GigaChatV2Part[];
  /** Requests call it `tools_state_id`; answers `tool_state_id` (§9, seen in cassettes). */
  tools_state_id?: string;
}

/** GigaChat's own tools, and the client's functions, as v2 takes them. */
export type GigaChatV2Tool =
  | { functions: { specifications: GigaChatV2Function[] } }
  | { web_search: { type?: string } }
  | { url_content_extraction: Record<string, never> }
  | { image_generate: Record<string, never> };

export interface GigaChatV2Function {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export type GigaChatV2ToolConfig =
  | { mode: "auto" | "none" }
  | { mode: "forced"; function_name: string }
  | { mode: "forced"; tool_name: string };

export interface GigaChatV2ModelOptions {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  repetition_penalty?: number;
  update_interval?: number;
  reasoning?: { effort: string };
  response_format?: Record<string, unknown>;
}

/** The body of `POST /v2/chat/completions`. */
export interface GigaChatV2Request {
  model: string;
  messages: GigaChatV2Message[];
  stream?: boolean;
  model_options?: GigaChatV2ModelOptions;
  tools?: GigaChatV2Tool[];
  tool_config?: GigaChatV2ToolConfig;
  disable_filter?: boolean;
}

export interface GigaChatV2Usage {
  input_tokens?: number;
  input_tokens_details?: { prompt_tokens?: number; cached_tokens?: number };
  output_tokens?: number;
  total_tokens?: number;
  /** Not in the reference; read in case GigaChat reports reasoning apart. */
  output_tokens_details?: { reasoning_tokens?: number };
}

/** An answer message: `tool_state_id`, singular. */
export interface GigaChatV2AnswerMessage {
  role?: string;
  content?: GigaChatV2Part[];
  tool_state_id?: string;
  finish_reason?: string;
}

/** A non-stream answer, and each stream event's data (deltas carry partial `messages`). */
export interface GigaChatV2Answer {
  model?: string;
  created_at?: number;
  messages?: GigaChatV2AnswerMessage[];
  finish_reason?: string;
  usage?: GigaChatV2Usage;
}
