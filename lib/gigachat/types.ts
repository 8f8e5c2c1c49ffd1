// GigaChat v1 wire types (API-chat.md §2–§5). Only what the gateway reads or writes.

/** A message as GigaChat takes it: content is always a string (§2). */
export interface GigaChatMessage {
  role: "system" | "user" | "assistant" | "function";
  content: string;
  /** Function name, required on `function` messages. */
  name?: string;
  /** On assistant messages; `arguments` is an object, not a JSON string (§4). */
  function_call?: { name: string; arguments: Record<string, unknown> };
  functions_state_id?: string;
  attachments?: string[];
  /** An assistant turn's reasoning, sent back in history (reasoning models, §2). */
  reasoning_content?: string;
}

/** A function the model may call (§4). */
export interface GigaChatFunction {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export type GigaChatFunctionCallMode = "auto" | "none" | { name: string };

/** The body of `POST /chat/completions`. */
export interface GigaChatChatRequest {
  model: string;
  messages: GigaChatMessage[];
  temperature?: number;
  top_p?: number;
  n?: number;
  stream?: boolean;
  max_tokens?: number;
  repetition_penalty?: number;
  update_interval?: number;
  profanity_check?: boolean;
  functions?: GigaChatFunction[];
  function_call?: GigaChatFunctionCallMode;
  response_format?: Record<string, unknown>;
  /** Reasoning models (§2); "none" turns reasoning off (HOSTS-AND-MODELS.md §Reasoning). */
  reasoning_effort?: GigaChatReasoningEffort;
}

export type GigaChatReasoningEffort = "none" | "low" | "medium" | "high";

/** `finish_reason` values GigaChat documents (§3). */
export type GigaChatFinishReason = "stop" | "length" | "function_call" | "blacklist" | "error";

export interface GigaChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  precached_prompt_tokens?: number;
  /** Not in the reference; read in case GigaChat sends it in OpenAI's place. */
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** An assistant message or a stream delta: the same fields, all optional in deltas. */
export interface GigaChatAssistantPart {
  role?: string;
  content?: string;
  function_call?: { name?: string; arguments?: unknown };
  functions_state_id?: string;
  /** Reasoning text of reasoning models; in streams, pieces before the content's (§3, §5). */
  reasoning_content?: string;
  /** v2 only: the web pages a searched answer cites, keyed as its `[sources=[n]]` markers. */
  sources?: Record<string, { url?: string; title?: string }>;
  /** v2 only: files GigaChat made for the answer (generated images), `data` once fetched. */
  files?: GeneratedFile[];
}

/** A file GigaChat generated (API-more.md §9, image_generate). */
export interface GeneratedFile {
  id: string;
  mime?: string;
  target?: string;
  /** The bytes as base64, fetched from `/files/{id}/content`. */
  data?: string;
}

/** A non-stream answer: no `id`, `model` carries the version (§3). */
export interface GigaChatCompletion {
  choices: { message: GigaChatAssistantPart; index?: number; finish_reason?: string }[];
  created?: number;
  model?: string;
  usage?: GigaChatUsage;
}

/** One stream event: `object` is "chat.completion" here too, usage only in the last (§5). */
export interface GigaChatChunk {
  choices: { delta: GigaChatAssistantPart; index?: number; finish_reason?: string }[];
  created?: number;
  model?: string;
  usage?: GigaChatUsage;
}
