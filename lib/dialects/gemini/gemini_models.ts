import { invalidRequest } from "../../errors.ts";
import type { OpenAIModel } from "../../models/to_openai_models.ts";

/** A model in Google's shape (`GET /v1beta/models`). */
export interface GeminiModel {
  name: string;
  baseModelId: string;
  version: string;
  displayName: string;
  description: string;
  inputTokenLimit?: number;
  outputTokenLimit?: number;
  supportedGenerationMethods: string[];
  thinking?: boolean;
}

const CHAT_METHODS = ["generateContent", "streamGenerateContent", "countTokens"];
const EMBEDDING_METHODS = ["embedContent", "batchEmbedContents"];

/** One model of the gateway's list (with the capability table's limits) in Google's shape. */
export function toGeminiModel(model: OpenAIModel): GeminiModel {
  const embedder = model.type === "embedder" || /^embeddings/i.test(model.id);
  return {
    name: `models/${model.id}`,
    baseModelId: model.id,
    version: "gigachat",
    displayName: model.id,
    description: `GigaChat's ${model.id}${embedder ? " (embeddings)" : ""}, served by the gateway.`,
    ...(model.context_length !== undefined ? { inputTokenLimit: model.context_length } : {}),
    ...(model.max_completion_tokens !== undefined
      ? { outputTokenLimit: model.max_completion_tokens }
      : {}),
    supportedGenerationMethods: embedder ? EMBEDDING_METHODS : CHAT_METHODS,
    ...(model.supported_parameters?.includes("reasoning") ? { thinking: true } : {}),
  };
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/**
 * One page of the list: `pageToken` is where it starts. The last page has no
 * `nextPageToken` at all (an empty one makes @google/genai's pager ask again forever).
 */
export function geminiModelPage(
  models: readonly OpenAIModel[],
  query: URLSearchParams,
): { models: GeminiModel[]; nextPageToken?: string } {
  const size = query.get("pageSize");
  const token = query.get("pageToken");
  const pageSize = size === null || size === "" ? DEFAULT_PAGE : Number(size);
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw invalidRequest("pageSize must be a whole number of at least 0.", "pageSize");
  }
  const start = token === null || token === "" ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) {
    throw invalidRequest("pageToken is not one this gateway gave.", "pageToken");
  }
  const end = start + Math.min(pageSize === 0 ? DEFAULT_PAGE : pageSize, MAX_PAGE);
  return {
    models: models.slice(start, end).map(toGeminiModel),
    ...(end < models.length ? { nextPageToken: String(end) } : {}),
  };
}
