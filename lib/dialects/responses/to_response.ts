import type {
  OpenAIChatCompletion,
  OpenAIFinishReason,
  OpenAIImageOutput,
  OpenAIToolCall,
  OpenAIUrlCitation,
  OpenAIUsage,
} from "../../openai/types.ts";
import { reasoningToken } from "./reasoning_token.ts";
import type { ResponsesRequest } from "./responses_request.ts";
import type { ToolOrigin } from "./to_chat_request.ts";

/** An item of a Response's `output`. */
export type OutputItem =
  | {
    type: "message";
    id: string;
    status: "completed" | "incomplete";
    role: "assistant";
    content: {
      type: "output_text";
      text: string;
      annotations: ResponsesAnnotation[];
      logprobs: [];
    }[];
  }
  | {
    type: "image_generation_call";
    id: string;
    status: "completed";
    /** The image, base64. */
    result: string;
    output_format: string;
  }
  | {
    type: "reasoning";
    id: string;
    summary: { type: "summary_text"; text: string }[];
    encrypted_content?: string;
    /** Only on an item whose answer broke off. */
    status?: "incomplete";
  }
  | {
    type: "function_call";
    id: string;
    call_id: string;
    name: string;
    namespace?: string;
    arguments: string;
    status: "completed";
  }
  | {
    type: "custom_tool_call";
    id: string;
    call_id: string;
    name: string;
    namespace?: string;
    input: string;
    status: "completed";
  };

/** A cited web page, as the Responses API annotates output text. */
export interface ResponsesAnnotation {
  type: "url_citation";
  url: string;
  title: string;
  start_index: number;
  end_index: number;
}

/** Chat's url_citation annotations → Responses' (the same fields, one level up). */
export function toResponsesAnnotations(
  annotations: readonly OpenAIUrlCitation[] | undefined,
): ResponsesAnnotation[] {
  return (annotations ?? []).map(({ url_citation: c }) => ({
    type: "url_citation",
    url: c.url,
    title: c.title,
    start_index: c.start_index,
    end_index: c.end_index,
  }));
}

/** A generated image (a data URL) as an image_generation_call item. */
export function imageItem(image: OpenAIImageOutput): OutputItem {
  const match = /^data:([^;,]*);base64,(.*)$/s.exec(image.image_url.url);
  const subtype = match?.[1].split("/")[1]?.toLowerCase();
  return {
    type: "image_generation_call",
    id: newId("ig"),
    status: "completed",
    result: match?.[2] ?? "",
    // The formats the Responses API names; GigaChat's images are JPEG (API-more.md §10).
    output_format: subtype === "png" || subtype === "webp" ? subtype : "jpeg",
  };
}

/** The Responses usage object. */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Response object. */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: "in_progress" | "completed" | "incomplete" | "failed";
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  model: string;
  output: OutputItem[];
  output_text: string;
  usage: ResponsesUsage | null;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: string;
  user: string | null;
}

/** What a Response is built from besides the answer: the request and how tools map back. */
export interface ResponseSetting {
  id: string;
  createdAt: number;
  request: ResponsesRequest;
  tools: ReadonlyMap<string, ToolOrigin>;
  /** `include` asked for `reasoning.encrypted_content`. */
  encryptedReasoning: boolean;
}

/** A new `resp_…` id, or an item id with the given prefix. */
export function newId(prefix: "resp" | "msg" | "rs" | "fc" | "ctc" | "ig"): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The Response for `setting` with `output` so far; `status` in_progress until it is done. */
export function responseObject(
  setting: ResponseSetting,
  output: OutputItem[],
  end?: { finish: OpenAIFinishReason | undefined; usage: OpenAIUsage | undefined },
): ResponseObject {
  const { request } = setting;
  const incomplete = end?.finish === "length"
    ? { reason: "max_output_tokens" as const }
    : end?.finish === "content_filter"
    ? { reason: "content_filter" as const }
    : null;
  return {
    id: setting.id,
    object: "response",
    created_at: setting.createdAt,
    status: end === undefined ? "in_progress" : incomplete ? "incomplete" : "completed",
    error: null,
    incomplete_details: incomplete,
    model: request.model,
    output,
    output_text: output.flatMap((item) =>
      item.type === "message" ? item.content.map((part) => part.text) : []
    ).join(""),
    usage: end?.usage === undefined ? null : toResponsesUsage(end.usage),
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: {
      effort: request.reasoning?.effort ?? null,
      summary: request.reasoning?.summary ?? null,
    },
    store: request.store !== false,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    top_p: request.top_p ?? null,
    truncation: request.truncation ?? "disabled",
    user: request.user ?? null,
  };
}

/** Chat usage → Responses usage. */
export function toResponsesUsage(usage: OpenAIUsage): ResponsesUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details.cached_tokens },
    output_tokens: usage.completion_tokens,
    output_tokens_details: {
      reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    },
    total_tokens: usage.total_tokens,
  };
}

/** A reasoning output item for `text`. */
export function reasoningItem(setting: ResponseSetting, id: string, text: string): OutputItem {
  return {
    type: "reasoning",
    id,
    summary: text === "" ? [] : [{ type: "summary_text", text }],
    ...(setting.encryptedReasoning ? { encrypted_content: reasoningToken(text) } : {}),
  };
}

/** A message output item for `text`; `incomplete` when its answer broke off. */
export function messageItem(
  id: string,
  text: string,
  annotations: ResponsesAnnotation[] = [],
  status: "completed" | "incomplete" = "completed",
): OutputItem {
  return {
    type: "message",
    id,
    status,
    role: "assistant",
    content: [{ type: "output_text", text, annotations, logprobs: [] }],
  };
}

/** A chat tool call as the Responses item of the tool it stands for. */
export function toolCallItem(setting: ResponseSetting, call: OpenAIToolCall): OutputItem {
  const origin = setting.tools.get(call.function.name) ??
    { kind: "function" as const, name: call.function.name };
  const namespace = origin.namespace === undefined ? {} : { namespace: origin.namespace };
  if (origin.kind === "custom") {
    let input = call.function.arguments;
    try {
      const parsed = JSON.parse(call.function.arguments);
      if (typeof parsed?.input === "string") input = parsed.input;
    } catch {
      // Not the one-argument object it was offered as: pass the text on as it is.
    }
    return {
      type: "custom_tool_call",
      id: newId("ctc"),
      call_id: call.id,
      name: origin.name,
      ...namespace,
      input,
      status: "completed",
    };
  }
  return {
    type: "function_call",
    id: newId("fc"),
    call_id: call.id,
    name: origin.name,
    ...namespace,
    arguments: call.function.arguments,
    status: "completed",
  };
}

/** A whole chat completion (its first choice) as a finished Response. */
export function toResponse(
  completion: OpenAIChatCompletion,
  setting: ResponseSetting,
): ResponseObject {
  const choice = completion.choices[0];
  const output: OutputItem[] = [];
  const message = choice?.message;
  if (message?.reasoning_content) {
    output.push(reasoningItem(setting, newId("rs"), message.reasoning_content));
  }
  for (const image of message?.images ?? []) output.push(imageItem(image));
  if (message?.content) {
    output.push(
      messageItem(newId("msg"), message.content, toResponsesAnnotations(message.annotations)),
    );
  }
  for (const call of message?.tool_calls ?? []) output.push(toolCallItem(setting, call));
  return responseObject(setting, output, {
    finish: choice?.finish_reason,
    usage: completion.usage,
  });
}
