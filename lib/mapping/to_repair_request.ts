import type { GigaChatChatRequest } from "../gigachat/types.ts";
import type { ChatPlan } from "./to_gigachat_request.ts";

/**
 * The one repair round trip for a JSON answer that failed its check: the conversation again,
 * the failed answer, and what was wrong with it. With the json_schema emulation the answer
 * function is forced this time, so tools cannot take the turn.
 */
export function toRepairRequest(
  body: GigaChatChatRequest,
  plan: ChatPlan,
  failedAnswer: string,
  problem: string,
): GigaChatChatRequest {
  const { stream: _stream, ...rest } = body;
  const repair: GigaChatChatRequest = {
    ...rest,
    messages: [
      ...body.messages,
      { role: "assistant", content: failedAnswer },
      {
        role: "user",
        content: `Your previous answer cannot be used: ${problem}. Give the answer again, ` +
          "as JSON that follows the required structure exactly, with nothing else.",
      },
    ],
  };
  if (plan.answerFunction !== undefined) {
    repair.functions = body.functions?.filter((fn) => fn.name === plan.answerFunction);
    repair.function_call = { name: plan.answerFunction };
  }
  return repair;
}
