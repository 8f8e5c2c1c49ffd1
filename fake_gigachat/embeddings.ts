// The fake's /embeddings, shaped like the recorded answers (API-more.md §2): `input` is an array
// of strings, one vector per input in order, usage per item and none at the top level.
import { type FakeHost, OLD_HOST } from "./hosts.ts";

const DIMENSIONS: Record<string, number> = { EmbeddingsGigaR: 2560 };

/** Answers one embeddings request body (JSON text). */
export function answerEmbeddings(
  text: string,
  host: FakeHost = OLD_HOST,
): { status: number; body: unknown } {
  let body: { model?: unknown; input?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return { status: 400, body: { status: 400, message: "Invalid JSON" } };
  }
  if (typeof body.model !== "string" || !host.embedders.has(body.model)) {
    return { status: 404, body: { status: 404, message: "No such model" } };
  }
  const input = body.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((s) => typeof s === "string")) {
    return { status: 422, body: { status: 422, message: "input: must be an array of strings" } };
  }
  const size = Object.hasOwn(DIMENSIONS, body.model) ? DIMENSIONS[body.model] : 1024;
  return {
    status: 200,
    body: {
      object: "list",
      model: body.model,
      data: input.map((item: string, index) => ({
        object: "embedding",
        index,
        embedding: vectorFor(item, size),
        usage: { prompt_tokens: Math.ceil(item.length / 4) + 5 },
      })),
    },
  };
}

/** A deterministic vector per text, so tests can tell which text a vector belongs to. */
export function vectorFor(text: string, size: number): number[] {
  let seed = 0;
  for (const char of text) seed = (seed * 31 + char.codePointAt(0)!) >>> 0;
  return Array.from({ length: size }, (_, i) => ((seed + i * 2654435761) % 1000) / 1000 - 0.5);
}
