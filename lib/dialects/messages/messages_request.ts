import { z } from "zod";
import { invalidRequest } from "../../errors.ts";
import { formatPath } from "../../http/json_limits.ts";

// Anthropic's Messages request, as far as the gateway reads it. Unknown top-level fields
// (context_management, container, mcp_servers, ...) are dropped, not refused; content blocks
// are kept loose here and judged one by one by the translation.

const block = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(block)]);

const schema = z.object({
  model: z.string().min(1),
  max_tokens: z.number({ message: "max_tokens is required" }).int().positive(),
  messages: z.array(z.object({ role: z.enum(["user", "assistant", "system"]), content })),
  system: content.nullish(),
  tools: z.array(z.looseObject({ name: z.string().min(1).optional(), type: z.string().optional() }))
    .nullish(),
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
    type: z.enum(["enabled", "disabled", "adaptive"]),
    budget_tokens: z.number().int().nonnegative().optional(),
  }).nullish(),
  output_config: z.looseObject({ effort: z.string().optional() }).nullish(),
});

export type MessagesRequest = z.infer<typeof schema>;
export type ContentBlock = z.infer<typeof block>;

/** Validates a Messages request. @throws {GatewayError} 400 naming the bad field. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = formatPath(issue.path);
  throw invalidRequest(`${param || "body"}: ${issue.message}`, param);
}
