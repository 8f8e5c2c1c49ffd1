import { invalidRequest } from "../errors.ts";
import type { EmbeddingsRequest } from "../openai/embeddings_request.ts";

/** Turns token ids back into text (cl100k_base); injected so this stays pure. */
export type TokenDecoder = (ids: number[]) => string;

/**
 * OpenAI's `input` (a string, strings, token ids or lists of token ids) → the strings GigaChat
 * embeds (API-more.md §2: always an array of strings). Empty inputs are refused, as OpenAI does.
 * @throws {GatewayError} 400 naming the empty item.
 */
export function toEmbeddingTexts(
  input: EmbeddingsRequest["input"],
  decode: TokenDecoder,
): string[] {
  if (typeof input === "string") {
    if (input === "") throw invalidRequest("'input' must not be an empty string.", "input");
    return [input];
  }
  if (input.length === 0) throw invalidRequest("'input' must not be an empty array.", "input");
  if (input.every((item): item is number => typeof item === "number")) {
    return [decode(input)];
  }
  return (input as (string | number[])[]).map((item, i) => {
    const text = typeof item === "string" ? item : item.length === 0 ? "" : decode(item);
    if (text === "") {
      throw invalidRequest(`'input[${i}]' must not be empty.`, `input[${i}]`);
    }
    return text;
  });
}

/** Splits `items` into consecutive batches of at most `size`. */
export function toBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}
