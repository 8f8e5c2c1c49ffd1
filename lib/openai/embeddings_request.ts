import { z } from "zod";
import { invalidRequest } from "../errors.ts";
import { formatPath } from "../http/json_limits.ts";

const tokenIds = z.array(z.number().int().nonnegative());

const schema = z.object({
  // LangChain's OpenAIEmbeddings sends token-id arrays; the rest send text.
  // OpenAI's own limit of 2048 items keeps one request from holding millions of vectors.
  input: z.union([
    z.string(),
    z.array(z.string()).max(2048),
    tokenIds,
    z.array(tokenIds).max(2048),
  ]),
  model: z.string().nullish(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().positive().nullish(),
});

export type EmbeddingsRequest = z.infer<typeof schema>;

/** Validates an OpenAI embeddings request. @throws {GatewayError} 400 naming the field. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = formatPath(issue.path) || "body";
  throw invalidRequest(`Invalid value for '${param}': ${issue.message}`, param);
}
