/** One GigaChat embeddings answer (API-more.md §2): usage per item, no top-level usage. */
export interface GigaChatEmbeddings {
  data: { embedding: number[]; index?: number; usage?: { prompt_tokens?: number } }[];
  model?: string;
}

export interface OpenAIEmbeddings {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * Batches of GigaChat answers, in request order → OpenAI's list: indexes run across batches,
 * usage is the sum of the per-item counts, vectors are floats or base64 of little-endian float32.
 */
export function toOpenAIEmbeddings(
  batches: readonly GigaChatEmbeddings[],
  options: { model: string; encoding: "float" | "base64" },
): OpenAIEmbeddings {
  const data: OpenAIEmbeddings["data"] = [];
  let tokens = 0;
  for (const batch of batches) {
    const items = [...batch.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    for (const item of items) {
      tokens += item.usage?.prompt_tokens ?? 0;
      data.push({
        object: "embedding",
        index: data.length,
        embedding: options.encoding === "base64" ? toBase64Float32(item.embedding) : item.embedding,
      });
    }
  }
  return {
    object: "list",
    data,
    model: options.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** A vector as base64 of little-endian float32, what the openai package asks for by default. */
export function toBase64Float32(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((value, i) => view.setFloat32(i * 4, value, true));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
