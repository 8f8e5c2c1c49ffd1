// OpenAI chat completion wire types, as the gateway produces them.

/**
 * Where a choice says which of the request's stop sequences cut it: dialects that report it
 * (Anthropic's `stop_sequence`) read it, and JSON.stringify leaves symbol keys out, so chat
 * completions clients never see it.
 */
export const STOP_SEQUENCE: unique symbol = Symbol("stop sequence");

/** Finish reasons OpenAI defines for chat completions; the gateway emits no other. */
export type OpenAIFinishReason =
  | "stop"
  | "length"
  | "tool_calls"
  | "content_filter"
  // Only for requests that use the legacy `functions` field.
  | "function_call";

/** The legacy (pre-tools) function call: no id, one call per message. */
export interface OpenAIFunctionCall {
  name: string;
  arguments: string;
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** A cited web page: the span of the answer's text that cites it. */
export interface OpenAIUrlCitation {
  type: "url_citation";
  url_citation: { url: string; title: string; start_index: number; end_index: number };
}

/** An image the model made, as a data URL. */
export interface OpenAIImageOutput {
  type: "image_url";
  image_url: { url: string };
}

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface OpenAIChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: {
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      refusal: null;
      tool_calls?: OpenAIToolCall[];
      function_call?: OpenAIFunctionCall;
      /** The reasoning, apart from the answer (the field OpenClaw, LangChain, the AI SDK read). */
      reasoning_content?: string;
      /** Web pages the answer cites (OpenAI's web search shape). */
      annotations?: OpenAIUrlCitation[];
      /** Generated images, in the shape OpenRouter gives chat completions. */
      images?: OpenAIImageOutput[];
    };
    logprobs: null;
    finish_reason: OpenAIFinishReason;
    /** The stop sequence the answer was cut at; never sent (a symbol key JSON leaves out). */
    [STOP_SEQUENCE]?: string;
  }[];
  usage?: OpenAIUsage;
}

/** A stream delta's tool call: `index` says which call the fragment belongs to. */
export interface OpenAIToolCallDelta {
  index: number;
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface OpenAIChunkChoice {
  index: number;
  delta: {
    role?: "assistant";
    content?: string;
    reasoning_content?: string;
    tool_calls?: OpenAIToolCallDelta[];
    function_call?: OpenAIFunctionCall;
    annotations?: OpenAIUrlCitation[];
    images?: OpenAIImageOutput[];
  };
  logprobs: null;
  finish_reason: OpenAIFinishReason | null;
  /** The stop sequence the answer was cut at, on its finish; never sent. */
  [STOP_SEQUENCE]?: string;
}

export interface OpenAIChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: OpenAIChunkChoice[];
  usage?: OpenAIUsage | null;
}
