import type { GigaChatCompletion } from "../gigachat/types.ts";
import { type OpenAIChatCompletion, STOP_SEQUENCE } from "../openai/types.ts";
import { mapGigaChatFinishReason } from "./map_gigachat_finish_reason.ts";
import { cutAtStop } from "./stop_cutter.ts";
import { splitThink } from "./think_splitter.ts";
import type { ChatPlan } from "./to_gigachat_request.ts";
import { toLegacyFunctionChoice } from "./to_legacy_function_call.ts";
import { argumentsJson, toOpenAIToolCall } from "./to_openai_tool_call.ts";
import { toOpenAIUsage } from "./to_openai_usage.ts";
import { toImageOutputs, toUrlCitations } from "./to_openai_annotations.ts";

/** The id and time every OpenAI object of one response shares. */
export interface ResponseIds {
  id: string;
  created: number;
}

/** A new `chatcmpl-…` id and the current time in seconds. */
export function newResponseIds(): ResponseIds {
  return {
    id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`,
    created: Math.floor(Date.now() / 1000),
  };
}

/** A non-stream GigaChat answer → OpenAI's chat.completion (API-chat.md §3, §4). */
export function toOpenAICompletion(
  answer: GigaChatCompletion,
  plan: ChatPlan,
  ids: ResponseIds,
): OpenAIChatCompletion {
  const completion: OpenAIChatCompletion = {
    id: ids.id,
    object: "chat.completion",
    created: ids.created,
    model: plan.requestedModel,
    choices: answer.choices.map((choice, position) => {
      const message = choice.message ?? {};
      const index = choice.index ?? position;
      const call = message.function_call;
      // Reasoning never reaches `content`: GigaChat's own field, or a leading <think> block.
      const split = splitThink(message.content ?? "");
      const reasoningText = (message.reasoning_content ?? "") + split.reasoning;
      const reasoning = reasoningText === "" ? {} : { reasoning_content: reasoningText };
      if (
        call !== undefined && plan.answerFunction !== undefined && call.name === plan.answerFunction
      ) {
        // json_schema emulation: the forced function's arguments are the answer.
        return {
          index,
          message: {
            role: "assistant",
            content: argumentsJson(call.arguments),
            refusal: null,
            ...reasoning,
          },
          logprobs: null,
          finish_reason: "stop",
        };
      }
      const toolCall = toOpenAIToolCall(message, plan.names);
      if (toolCall !== undefined) {
        const called: OpenAIChatCompletion["choices"][number] = {
          index,
          message: {
            role: "assistant",
            content: split.content ? split.content : null,
            refusal: null,
            ...reasoning,
            tool_calls: [toolCall],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        };
        return plan.legacyFunctions ? toLegacyFunctionChoice(called) : called;
      }
      const cut = cutAtStop(split.content, plan.stop);
      const reason = mapGigaChatFinishReason(choice.finish_reason);
      const annotations = toUrlCitations(cut.text, message.sources);
      const images = toImageOutputs(message.files);
      return {
        index,
        message: {
          role: "assistant",
          content: cut.text,
          refusal: null,
          ...reasoning,
          ...(annotations.length > 0 ? { annotations } : {}),
          ...(images.length > 0 ? { images } : {}),
        },
        logprobs: null,
        // "tool_calls" without a call would send clients looking for one that is not there.
        finish_reason: cut.stopped || reason === "tool_calls" ? "stop" : reason,
        ...(cut.sequence === undefined ? {} : { [STOP_SEQUENCE]: cut.sequence }),
      };
    }),
    usage: toOpenAIUsage(answer.usage),
  };
  if (typeof answer.model === "string") completion.system_fingerprint = answer.model;
  return completion;
}
