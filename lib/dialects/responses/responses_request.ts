import { z } from "zod";
import { invalidRequest } from "../../errors.ts";
import { formatPath } from "../../http/json_limits.ts";
import { REASONING_EFFORTS } from "../../openai/chat_request.ts";

// OpenAI's Responses request, as far as the gateway reads it. Input items are kept loose here
// and judged one by one by the translation, so an unknown one is a 400 naming it.

const item = z.looseObject({ type: z.string().optional() });

const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().min(1).max(64),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
]);

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.string(), name: z.string().optional() }),
]);

const schema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]).optional(),
  instructions: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  reasoning: z.looseObject({
    effort: z.enum(REASONING_EFFORTS).nullish(),
    summary: z.string().nullish(),
  }).nullish(),
  text: z.looseObject({ format: textFormat.optional() }).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  include: z.array(z.string()).nullish(),
  truncation: z.enum(["auto", "disabled"]).nullish(),
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
});

export type ResponsesRequest = z.infer<typeof schema>;
export type ResponsesTool = NonNullable<ResponsesRequest["tools"]>[number];
export type InputItem = z.infer<typeof item>;

/** Validates a Responses request. @throws {GatewayError} 400 naming the bad field. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = formatPath(issue.path);
    throw invalidRequest(`Invalid value for '${param || "body"}': ${issue.message}`, param);
  }
  const request = parsed.data;
  if (request.background) {
    throw invalidRequest(
      "background responses are not supported by this gateway; leave 'background' out.",
      "background",
    );
  }
  if (request.conversation !== undefined && request.conversation !== null) {
    throw invalidRequest(
      "conversations are not supported by this gateway; send the history in 'input' or use " +
        "'previous_response_id'.",
      "conversation",
    );
  }
  return request;
}
