import type { GigaChatChunk } from "../../gigachat/types.ts";
import { upstreamStreamError } from "../../gigachat/upstream_error.ts";
import type { GigaChatV2Answer } from "../../gigachat/v2_types.ts";
import {
  fromGigaChatV2Usage,
  toAssistantPart,
  v2AnswerProblem,
} from "./from_gigachat_v2_answer.ts";

/**
 * One v2 stream event → the v1 chunk the chunk mapper reads, or undefined for an event that
 * says nothing to the client (API-more.md §9). `response.message.delta` carries partial
 * messages; `response.message.done` the finish_reason and usage, and ends the answer whether
 * or not `[DONE]` follows (the recorded stream has none); `response.tool.completed` reports a
 * hosted tool's progress only. Only the done event (or an event without a name, read by its
 * fields) finishes the answer, so the usage it carries is never cut off by a delta that
 * names a finish_reason of its own.
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
  const problem = v2AnswerProblem(value);
  if (problem !== undefined) {
    throw upstreamStreamError(`GigaChat sent a stream event the gateway cannot read: ${problem}`);
  }
  if (name === "response.tool.completed") return undefined;
  const messages = Array.isArray(value.messages) ? value.messages : [];
  const finishes = name === undefined || name === "response.message.done";
  const finish = finishes
    ? value.finish_reason ?? messages.findLast((m) => m.finish_reason)?.finish_reason
    : undefined;
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

/**
 * A decoder for one v2 stream: {@linkcode fromGigaChatV2Event}, plus the `tool_state_id` of an
 * earlier event carried to the function call it belongs to.
 */
export function v2EventDecoder(): (
  data: string,
  name: string | undefined,
) => GigaChatChunk | undefined {
  let stateId: string | undefined;
  return (data, name) => {
    const chunk = fromGigaChatV2Event(name, data);
    const delta = chunk?.choices[0].delta;
    if (delta?.functions_state_id !== undefined) stateId = delta.functions_state_id;
    else if (delta?.function_call !== undefined && stateId !== undefined) {
      delta.functions_state_id = stateId;
    }
    return chunk;
  };
}
