import { z } from "zod";
import { invalidRequest } from "../../errors.ts";
import { firstIssue, tagged } from "../../http/schema_issue.ts";
import { REASONING_EFFORTS } from "../../openai/chat_request.ts";

// OpenAI's Responses request, as far as the gateway reads it. Each input item and content part
// the translation reads is checked here, field by field as the SDK's types have them, so the
// translation never meets a value of the wrong kind; an item or part of an unknown type passes,
// for the translation to refuse by name.

const text = z.string();
const optionalText = z.string().nullish();

/** Content parts of messages and tool outputs. */
const part = tagged(z.looseObject({ type: z.string() }), {
  input_text: z.looseObject({ text }),
  output_text: z.looseObject({ text }),
  refusal: z.looseObject({ refusal: text }),
  input_image: z.looseObject({ image_url: optionalText, file_id: optionalText }),
  input_file: z.looseObject({
    file_data: optionalText,
    file_id: optionalText,
    file_url: optionalText,
    filename: optionalText,
  }),
});
const content = z.union([z.string(), z.array(part)]);
const callId = z.string().min(1, "needs a 'call_id'");

const item = tagged(
  z.looseObject({ type: z.string().nullish() }),
  {
    message: z.looseObject({
      role: z.enum(["user", "assistant", "system", "developer"]),
      content,
    }),
    function_call: z.looseObject({
      call_id: callId,
      name: z.string().min(1),
      arguments: z.string(),
      namespace: optionalText,
    }),
    custom_tool_call: z.looseObject({
      call_id: callId,
      name: z.string().min(1),
      input: z.string(),
      namespace: optionalText,
    }),
    function_call_output: z.looseObject({ call_id: callId, output: content }),
    custom_tool_call_output: z.looseObject({ call_id: callId, output: content }),
    reasoning: z.looseObject({
      summary: z.array(z.looseObject({ text })).optional(),
      encrypted_content: optionalText,
    }),
  },
  // A message may leave out its type (EasyInputMessage).
  (value) => value.type ?? (value.role !== undefined ? "message" : undefined),
);

/** Tools as the translation reads them; a namespace holds function and custom tools. */
const functionFields = {
  name: z.string().optional(),
  description: optionalText,
  parameters: z.record(z.string(), z.unknown()).nullish(),
};
const tool = tagged(z.looseObject({ type: z.string() }), {
  function: z.looseObject(functionFields),
  custom: z.looseObject(functionFields),
  namespace: z.looseObject({
    name: z.string().optional(),
    // A namespace's function may take any JSON schema, `true` included.
    tools: z.array(
      z.looseObject({ type: z.string(), ...functionFields, parameters: z.unknown().optional() }),
    ),
  }),
});

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
  z.looseObject({ type: z.string(), name: z.string().nullish() }),
]);

const schema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]).optional(),
  instructions: z.string().nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  reasoning: z.looseObject({
    // "max" is the SDK's newest level; GigaChat's highest is xhigh.
    effort: z.enum([...REASONING_EFFORTS, "max"]).nullish(),
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
    const { param, message } = firstIssue(parsed.error);
    throw invalidRequest(`Invalid value for '${param || "body"}': ${message}`, param || "body");
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
