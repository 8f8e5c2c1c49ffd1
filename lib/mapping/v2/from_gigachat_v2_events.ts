import type { GigaChatChunk } from "../../gigachat/types.ts";
import { upstreamStreamError } from "../../gigachat/upstream_error.ts";
import type { GigaChatV2Answer } from "../../gigachat/v2_types.ts";
import { fromGigaChatV2Usage, toAssistantPart } from "./from_gigachat_v2_answer.ts";

/**
 * One v2 stream event → the v1 chunk the chunk mapper reads, or undefined for an event that
 * says nothing to the client (API-more.md §9). `response.message.delta` carries partial
 * messages; `response.message.done` the finish_reason and usage, and ends the answer whether
 * or not `[DONE]` follows (the recorded stream has none); `response.tool.completed` reports a
 * hosted tool's progress only. Events without a name are read by their fields.
 * @throws {GatewayError} for data that is not an answer, or an answer that ended in `error`.
 */
export function fromGigaChatV2Event(
  name: string | undefined,
  data: string,
): GigaChatChunk | undefined {
  let value: GigaChatV2Answer;
  try {
    value = JSON.parse(data);
  } catch {
    throw upstreamStreamError("GigaChat sent a stream event that is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw upstreamStreamError("GigaChat sent a stream event that is not an object");
  }
  if (name === "response.tool.completed") return undefined;
  const messages = Array.isArray(value.messages) ? value.messages : [];
  const finish = value.finish_reason ?? messages.findLast((m) => m.finish_reason)?.finish_reason;
  if (finish === "error") {
    throw upstreamStreamError('GigaChat ended the answer with finish_reason "error"');
  }
  if (messages.length === 0 && finish === undefined) return undefined;
  const chunk: GigaChatChunk = {
    choices: [{
      delta: toAssistantPart(messages),
      index: 0,
      ...(finish ? { finish_reason: finish } : {}),
    }],
  };
  if (value.model !== undefined) chunk.model = value.model;
  if (value.usage !== undefined) chunk.usage = fromGigaChatV2Usage(value.usage);
  return chunk;
}
