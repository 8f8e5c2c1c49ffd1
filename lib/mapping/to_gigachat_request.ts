import { invalidRequest } from "../errors.ts";
import type {
  GigaChatChatRequest,
  GigaChatFunction,
  GigaChatReasoningEffort,
} from "../gigachat/types.ts";
import type {
  ChatRequest,
  FunctionTool,
  HostedTool,
  ReasoningEffort,
} from "../openai/chat_request.ts";
import { resolveModel } from "../resolve_model.ts";
import { sanitizeJsonSchema } from "./sanitize_json_schema.ts";
import { type ResolvedAttachments, toGigaChatMessages } from "./to_gigachat_messages.ts";
import { type ToolNames, toolNamesFor, V2_FUNCTION_NAME } from "./tool_names.ts";
import type { V2HostedTools } from "./v2/to_gigachat_v2_request.ts";
import { planStructuredOutput, type StructuredPlan } from "./structured_output.ts";

/** How the structured-output emulation and the response mapping must treat this request. */
export interface ChatPlan extends StructuredPlan {
  /** The model name the client asked for; responses report it. */
  requestedModel: string;
  stream: boolean;
  includeUsage: boolean;
  stop: readonly string[];
  names: ToolNames;
  /** Tools the gateway cannot pass on (non-function types), for a header and a log line. */
  ignoredTools: readonly string[];
  /** GigaChat's own tools for this request (v2 only; empty on v1). */
  hosted: V2HostedTools;
  /** Web search is on: the answer may cite sources. */
  citations: boolean;
  /** The client declared legacy `functions`: answer with `function_call`. */
  legacyFunctions: boolean;
}

export interface ChatMappingOptions {
  aliases: Readonly<Record<string, string>>;
  /** max_tokens above this are lowered to it rather than failing upstream. */
  maxOutputTokens: number;
  structuredOutput: "function" | "native";
  /** Whether the model reasons (capability table); false drops reasoning_effort. */
  reasoning?: boolean;
  /** The chat API the body is for: v2 takes GigaChat's own tools and stricter names. */
  backend?: "v1" | "v2";
  /** GigaChat tools the operator offers on every v2 request (GIGACHAT_V2_TOOLS). */
  hostedTools?: readonly HostedTool[];
}

/**
 * An OpenAI chat request → GigaChat's body plus a {@linkcode ChatPlan} (API-chat.md §2, §4).
 * OpenAI-only fields (tools, tool_choice, stream_options, max_completion_tokens,
 * response_format, stop) are translated, never forwarded as they are.
 * @throws {GatewayError} 400 naming the field at fault.
 */
export function toGigaChatRequest(
  request: ChatRequest,
  options: ChatMappingOptions,
  attachments?: ResolvedAttachments,
): { body: GigaChatChatRequest; plan: ChatPlan } {
  const functionTools = (request.tools ?? []).filter((tool): tool is FunctionTool =>
    tool.type === "function" && "function" in tool
  );
  const v2 = options.backend === "v2";
  const asked = request.hostedTools ?? [];
  const ignoredTools = [
    ...(request.ignoredTools ?? []),
    ...(request.tools ?? []).filter((tool) => tool.type !== "function").map((tool) => tool.type),
    // GigaChat's own tools are v2's; on v1 the client hears that they were left out.
    ...(v2 ? [] : asked),
  ];
  const hostedTools = v2 ? [...new Set([...asked, ...(options.hostedTools ?? [])])] : [];
  const hosted: V2HostedTools = request.hostedToolChoice !== undefined && v2
    ? { tools: hostedTools, forced: request.hostedToolChoice }
    : { tools: hostedTools };
  const names = toolNamesFor(
    functionTools.map((tool) => tool.function.name),
    v2 ? V2_FUNCTION_NAME : undefined,
  );
  const body: GigaChatChatRequest = {
    model: resolveModel(request.model, options.aliases),
    messages: toGigaChatMessages(request.messages, names, attachments),
  };
  const plan: ChatPlan = {
    requestedModel: request.model,
    stream: request.stream === true,
    includeUsage: request.stream === true && request.stream_options?.include_usage === true,
    stop: stopSequences(request.stop),
    names,
    ignoredTools,
    hosted,
    citations: hostedTools.includes("web_search"),
    legacyFunctions: request.legacyFunctions === true,
  };
  if (plan.stream) body.stream = true;

  // GigaChat rejects temperature 0; the reference maps greedy decoding to top_p 0 (§2).
  if (request.temperature === 0) body.top_p = 0;
  else if (typeof request.temperature === "number") body.temperature = request.temperature;
  if (typeof request.top_p === "number" && body.top_p === undefined) body.top_p = request.top_p;
  if (typeof request.n === "number") body.n = request.n;
  // Refused here, before anything is sent or a stream begins (the v2 mapping checks it too).
  if (v2 && typeof request.n === "number" && request.n > 1) {
    throw invalidRequest(
      "n above 1 is not available on GigaChat's v2 chat API; ask for one choice, or send this " +
        "model to v1 (GIGACHAT_MODEL_BACKENDS).",
      "n",
    );
  }
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === "number") body.max_tokens = Math.min(maxTokens, options.maxOutputTokens);
  const effort = toGigaChatEffort(request.reasoning_effort ?? request.reasoning?.effort);
  // A model known not to reason is spared a field it does not take.
  if (effort !== undefined && options.reasoning !== false) body.reasoning_effort = effort;
  const extras = request.extra_body ?? {};
  const repetition = request.repetition_penalty ?? extras.repetition_penalty;
  if (repetition !== undefined) body.repetition_penalty = repetition;
  const interval = request.update_interval ?? extras.update_interval;
  if (interval !== undefined) body.update_interval = interval;
  const profanity = request.profanity_check ?? extras.profanity_check;
  if (profanity !== undefined) body.profanity_check = profanity;

  const choice = request.tool_choice ?? "auto";
  if (
    typeof choice === "object" &&
    !functionTools.some((tool) => tool.function.name === choice.function.name)
  ) {
    throw invalidRequest(
      `tool_choice names '${choice.function.name}', which is not among the tools.`,
      "tool_choice",
    );
  }
  const functions: GigaChatFunction[] = choice === "none" ? [] : functionTools.map((tool) => ({
    name: names.toUpstream(tool.function.name),
    ...(tool.function.description ? { description: tool.function.description } : {}),
    parameters: sanitizeJsonSchema(
      tool.function.parameters,
      `tools[${request.tools!.indexOf(tool)}].function.parameters`,
    ),
  }));
  if (functions.length > 0) {
    if (typeof choice === "object") {
      body.function_call = { name: names.toUpstream(choice.function.name) };
    } else if (choice === "required" && functions.length === 1) {
      // GigaChat cannot force "some" call; with one tool, forcing that tool is the same thing.
      body.function_call = { name: functions[0].name };
    } else {
      body.function_call = "auto";
    }
  }

  Object.assign(
    plan,
    planStructuredOutput(request.response_format, body, functions, options.structuredOutput),
  );
  if (functions.length > 0) body.functions = functions;
  return { body, plan };
}

/**
 * OpenAI's reasoning effort → GigaChat's (API-chat.md §2 has low, medium, high; gpt2giga sends
 * "none" to turn reasoning off): the finer OpenAI steps go to the nearest GigaChat one.
 */
export function toGigaChatEffort(
  effort: ReasoningEffort | null | undefined,
): GigaChatReasoningEffort | undefined {
  switch (effort) {
    case "none":
      return "none";
    case "minimal":
    case "low":
      return "low";
    case "medium":
      return "medium";
    case "high":
    case "xhigh":
      return "high";
    default:
      // null or undefined: the client left it to the model.
      return undefined;
  }
}

function stopSequences(stop: string | readonly string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return (typeof stop === "string" ? [stop] : [...stop]).filter((value) => value.length > 0);
}
