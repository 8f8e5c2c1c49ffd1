import type { RequestContext } from "../lib/context.ts";
import { chatCompletionsSse } from "../lib/dialects/chat_completions_sse.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { parseChatRequest } from "../lib/openai/chat_request.ts";
import { runChat } from "../lib/pipeline/chat_pipeline.ts";
import { streamResponse } from "../lib/pipeline/stream_response.ts";

/** `POST /v1/chat/completions`: OpenAI's chat completions over the chat pipeline. */
export async function chatCompletions(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const chat = parseChatRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  const outcome = await runChat(chat, credential, ctx);
  if (outcome.kind === "completion") {
    return Response.json(outcome.completion, { headers: outcome.headers });
  }
  return streamResponse(ctx, chatCompletionsSse(outcome.stream), {
    idle: outcome.stream.idle,
    headers: outcome.headers,
  });
}
