import { z } from "zod";
import { invalidRequest } from "../errors.ts";
import { formatPath } from "../http/json_limits.ts";

// OpenAI's chat completion request, as far as the gateway reads it. Unknown top-level fields
// (store, metadata, seed, logprobs, user, ...) are dropped, not rejected: clients send many.

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string(), detail: z.string().optional() }),
});
const filePart = z.object({
  type: z.literal("file"),
  file: z.object({
    file_data: z.string().optional(),
    file_id: z.string().optional(),
    filename: z.string().optional(),
  }),
});
// Any other part (input_audio, refusal, ...) is kept so the mapper can name it in a 400.
const otherPart = z.looseObject({ type: z.string() });

const userContent = z.union([
  z.string(),
  z.array(z.union([textPart, imagePart, filePart, otherPart])),
]);
const textContent = z.union([z.string(), z.array(z.union([textPart, otherPart]))]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion("role", [
  z.object({
    role: z.enum(["system", "developer"]),
    content: textContent,
    name: z.string().optional(),
  }),
  z.object({ role: z.literal("user"), content: userContent, name: z.string().optional() }),
  z.object({
    role: z.literal("assistant"),
    content: textContent.nullish(),
    tool_calls: z.array(toolCall).nullish(),
    function_call: z.object({ name: z.string(), arguments: z.string() }).nullish(),
    name: z.string().optional(),
    // Reasoning of an earlier turn, sent back as the answer gave it.
    reasoning_content: z.string().nullish(),
  }),
  z.object({ role: z.literal("tool"), content: textContent, tool_call_id: z.string().min(1) }),
  z.object({ role: z.literal("function"), content: z.string().nullable(), name: z.string() }),
]);

const functionDefinition = z.object({
  name: z.string().min(1).max(64),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullish(),
});
const functionTool = z.object({ type: z.literal("function"), function: functionDefinition });

// A function tool is held to its schema (a nameless one must not reach GigaChat); other kinds
// (web_search_preview, ...) are kept loosely for the mapper to skip with a log line.
const tool = z.looseObject({ type: z.string() }).transform((value, ctx) => {
  if (value.type !== "function") return value;
  const parsed = functionTool.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path });
  return z.NEVER;
});

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1).max(64),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** OpenAI's reasoning efforts. */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = typeof REASONING_EFFORTS[number];
const reasoningEffort = z.enum(REASONING_EFFORTS);

/** GigaChat-only sampling fields, accepted at the top level or inside `extra_body`. */
const gigaChatExtras = {
  repetition_penalty: z.number().positive().optional(),
  update_interval: z.number().nonnegative().optional(),
  profanity_check: z.boolean().optional(),
};

const schema = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  // The legacy spelling of tools (still sent by older LangChain agents).
  functions: z.array(functionDefinition).min(1).max(128).nullish(),
  function_call: z.union([
    z.enum(["none", "auto"]),
    z.object({ name: z.string().min(1) }),
  ]).nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: reasoningEffort.nullish(),
  // The newer spelling (`reasoning: {effort, summary}`); only the effort is read.
  reasoning: z.looseObject({ effort: reasoningEffort.nullish() }).nullish(),
  extra_body: z.object(gigaChatExtras).nullish(),
  // Chat completions' way to ask for web search; its options have no GigaChat counterpart.
  web_search_options: z.looseObject({}).nullish(),
  ...gigaChatExtras,
});

/** GigaChat's own tools (v2 API only, API-more.md §9) that a dialect asks for. */
export const HOSTED_TOOLS = ["web_search", "url_content_extraction", "image_generate"] as const;
export type HostedTool = typeof HOSTED_TOOLS[number];

/** A validated request; the legacy `functions` arrive as `tools`, flagged `legacyFunctions`. */
export type ChatRequest =
  & Omit<z.infer<typeof schema>, "functions" | "function_call" | "web_search_options">
  & {
    /** The client sent `functions`: answers carry `function_call`, not `tool_calls`. */
    legacyFunctions?: boolean;
    /** GigaChat tools the client asked for, in its dialect's words. */
    hostedTools?: HostedTool[];
    /** The one of them the client forced. */
    hostedToolChoice?: HostedTool;
    /** Tools of the client's dialect the gateway cannot offer, for a header and a log line. */
    ignoredTools?: string[];
  };
export type ImagePart = z.infer<typeof imagePart>;
export type FilePart = z.infer<typeof filePart>;

/** True for an `image_url` part (validated by the schema). */
export function isImagePart(part: { type: string }): part is ImagePart {
  return part.type === "image_url" && typeof (part as ImagePart).image_url?.url === "string";
}

/** True for a `file` part (validated by the schema). */
export function isFilePart(part: { type: string }): part is FilePart {
  return part.type === "file" && typeof (part as FilePart).file === "object";
}
export type ChatMessage = ChatRequest["messages"][number];
export type FunctionTool = z.infer<typeof functionTool>;
export type ToolChoice = z.infer<typeof toolChoice>;
export type ResponseFormat = z.infer<typeof responseFormat>;

/** Validates an OpenAI chat request. @throws {GatewayError} 400 naming the bad field. */
export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = schema.safeParse(body);
  if (parsed.success) {
    const { functions, function_call, web_search_options, ...parsedRequest } = parsed.data;
    const request: ChatRequest = web_search_options
      ? { ...parsedRequest, hostedTools: ["web_search"] }
      : parsedRequest;
    if (functions === undefined || functions === null) return request;
    if (request.tools) {
      throw invalidRequest("Send either 'tools' or the legacy 'functions', not both.", "functions");
    }
    return {
      ...request,
      tools: functions.map((definition) => ({ type: "function" as const, function: definition })),
      tool_choice: typeof function_call === "object" && function_call !== null
        ? { type: "function", function: { name: function_call.name } }
        : function_call ?? undefined,
      legacyFunctions: true,
    };
  }
  const issue = parsed.error.issues[0];
  const param = formatPath(issue.path);
  throw invalidRequest(
    `Invalid value for '${param || "body"}': ${issue.message}`,
    param || undefined,
  );
}
