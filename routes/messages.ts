import type { RequestContext } from "../lib/context.ts";
import { GatewayError } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { messageEvents } from "../lib/dialects/messages/message_events.ts";
import {
  type MessagesRequest,
  parseMessagesRequest,
} from "../lib/dialects/messages/messages_request.ts";
import { toChatRequest } from "../lib/dialects/messages/to_chat_request.ts";
import { toMessage } from "../lib/dialects/messages/to_message.ts";
import { countTokens as countUpstream } from "../lib/pipeline/count_tokens.ts";
import { runChat } from "../lib/pipeline/chat_pipeline.ts";
import { streamResponse } from "../lib/pipeline/stream_response.ts";

/** `POST /v1/messages`: Anthropic's Messages API over the chat pipeline. */
export async function createMessage(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const body = parseMessagesRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  checkModel(body.model, app.config.modelAliases);
  const translation = toChatRequest(body);
  // The pipeline speaks of chat messages; the client hears of its own.
  const outcome = await runChat(translation.chat, credential, ctx).catch((error) => {
    throw translation.origins.relocate(error);
  });
  if (outcome.kind === "completion") {
    return Response.json(toMessage(outcome.completion, body.model), {
      headers: outcome.headers,
    });
  }
  return streamResponse(ctx, messageEvents(outcome.stream, body.model), {
    idle: outcome.stream.idle,
    headers: outcome.headers,
  });
}

/**
 * `POST /v1/messages/count_tokens`: GigaChat's own count (`POST /tokens/count`) of the system
 * text, the messages' text and the tools, summed. It leaves out the few tokens of chat
 * formatting and any images, so it is close, not exact.
 */
export async function countTokens(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const raw = await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines);
  // max_tokens is not part of a count request; a body that is no object is refused as it is.
  const isObject = typeof raw === "object" && raw !== null && !Array.isArray(raw);
  const body = parseMessagesRequest(isObject ? { max_tokens: 1, ...raw } : raw);
  checkModel(body.model, app.config.modelAliases);
  // Refused here exactly as /v1/messages would refuse it: the translation is the judge.
  toChatRequest(body);
  const total = await countUpstream(textsOf(body), body.model, credential, ctx);
  return Response.json({ input_tokens: total });
}

/** Claude Code asks for claude-* models: they must be mapped to GigaChat ones. */
function checkModel(model: string, aliases: Readonly<Record<string, string>>): void {
  if (!model.startsWith("claude-") || Object.hasOwn(aliases, model)) return;
  throw new GatewayError(
    404,
    `The model '${model}' is not a GigaChat model. Map it in MODEL_ALIASES, e.g. ` +
      `MODEL_ALIASES='{"${model}":"GigaChat-2-Max"}', or ask for a GigaChat model by name ` +
      "(Claude Code: ANTHROPIC_MODEL and ANTHROPIC_SMALL_FAST_MODEL).",
    { type: "not_found_error", code: "model_not_found", param: "model" },
  );
}

/** Every text the model would read, for counting. */
function textsOf(body: MessagesRequest): string[] {
  const texts: string[] = [];
  const add = (content: unknown) => {
    if (typeof content === "string") return void (content && texts.push(content));
    if (!Array.isArray(content)) return;
    for (const block of content as Record<string, unknown>[]) {
      if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
      else if (block.type === "thinking" && typeof block.thinking === "string") {
        texts.push(block.thinking);
      } else if (block.type === "tool_use") texts.push(JSON.stringify(block.input ?? {}));
      else if (block.type === "tool_result") add(block.content);
    }
  };
  add(body.system);
  for (const message of body.messages) add(message.content);
  for (const tool of body.tools ?? []) texts.push(JSON.stringify(tool));
  return texts;
}
