import { z } from "zod";
import { invalidRequest } from "../../errors.ts";
import { firstIssue, tagged } from "../../http/schema_issue.ts";

// Anthropic's Messages request, as far as the gateway reads it. Unknown top-level fields
// (context_management, container, mcp_servers, ...) are dropped, not refused. Each content
// block the translation reads is checked here, field by field as the SDK's types have them, so
// the translation never meets a value of the wrong kind; a block of an unknown type passes, for
// the translation to refuse by name.

const text = z.string();
const source = z.looseObject({
  type: z.string(),
  media_type: z.string().optional(),
  data: z.string().optional(),
  url: z.string().optional(),
});

const textBlock = z.looseObject({ text });
const document = z.looseObject({
  source: source.extend({
    content: z.union([
      z.string(),
      z.array(tagged(z.looseObject({ type: z.string() }), {
        text: textBlock,
      })),
    ]).optional(),
  }),
  title: z.string().nullish(),
});

/** Blocks a tool_result may hold. */
const resultBlocks = {
  text: textBlock,
  image: z.looseObject({ source }),
  document,
  search_result: z.looseObject({
    content: z.array(textBlock),
    source: z.string(),
    title: z.string(),
  }),
};
const resultBlock = tagged(z.looseObject({ type: z.string() }), resultBlocks);

const blockSchemas = {
  ...resultBlocks,
  tool_use: z.looseObject({
    id: z.string(),
    name: z.string().min(1, "a tool_use needs a 'name'"),
    input: z.record(z.string(), z.unknown()).optional(),
  }),
  tool_result: z.looseObject({
    tool_use_id: z.string().min(1),
    content: z.union([z.string(), z.array(resultBlock)]).optional(),
    is_error: z.boolean().optional(),
  }),
  thinking: z.looseObject({ thinking: text, signature: z.string().nullish() }),
};

const block = tagged(z.looseObject({ type: z.string() }), blockSchemas);
const content = z.union([z.string(), z.array(block)]);
const systemContent = z.union([
  z.string(),
  z.array(tagged(z.looseObject({ type: z.string() }), { text: z.looseObject({ text }) })),
]);

const maxTokens = z.number({
  error: (issue) =>
    issue.input === undefined ? "max_tokens is required" : "max_tokens must be a number",
}).int("max_tokens must be a whole number").positive("max_tokens must be at least 1");

const schema = z.object({
  model: z.string().min(1),
  max_tokens: maxTokens,
  messages: z.array(z.object({ role: z.enum(["user", "assistant", "system"]), content })),
  system: systemContent.nullish(),
  tools: z.array(z.looseObject({
    name: z.string().min(1).optional(),
    type: z.string().nullish(),
    description: z.string().nullish(),
    input_schema: z.record(z.string(), z.unknown()).nullish(),
  })).nullish(),
  tool_choice: z.looseObject({
    type: z.enum(["auto", "any", "tool", "none"]),
    name: z.string().optional(),
    disable_parallel_tool_use: z.boolean().optional(),
  }).nullish(),
  stop_sequences: z.array(z.string()).max(16).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().nonnegative().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  stream: z.boolean().nullish(),
  thinking: z.looseObject({
    type: z.enum(["enabled", "disabled", "adaptive", "between_tools"]),
    budget_tokens: z.number().int().nonnegative().optional(),
  }).nullish(),
  output_config: z.looseObject({ effort: z.string().nullish() }).nullish(),
});

export type MessagesRequest = z.infer<typeof schema>;
export type ContentBlock = z.infer<typeof block>;

/** Validates a Messages request. @throws {GatewayError} 400 naming the bad field. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const { param, message } = firstIssue(parsed.error);
  throw invalidRequest(`${param || "body"}: ${message}`, param || "body");
}
