import type { RequestContext, StreamOutcome } from "../lib/context.ts";
import { GatewayError } from "../lib/errors.ts";
import type { GigaChatChatRequest, GigaChatCompletion } from "../lib/gigachat/types.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { SSE_DONE, SSE_HEADERS, sseData } from "../lib/http/sse.ts";
import { streamChatAnswer } from "../lib/openai/chat_stream.ts";
import { toGigaChatRequest } from "../lib/mapping/to_gigachat_request.ts";
import { ChatChunkMapper } from "../lib/mapping/to_openai_chunks.ts";
import { newResponseIds, toOpenAICompletion } from "../lib/mapping/to_openai_completion.ts";
import { completeCheckedJson, completionToChunks } from "../lib/mapping/structured_output.ts";
import { parseChatRequest } from "../lib/openai/chat_request.ts";
import { resolveModel } from "../lib/openai/resolve_model.ts";
import { planAttachments } from "../lib/vision/plan_attachments.ts";
import { capabilitiesOf, suggestedVisionModel } from "../lib/model_capabilities.ts";
import { resolveAttachments } from "../lib/vision/resolve_attachments.ts";

/** `POST /v1/chat/completions`: OpenAI in, GigaChat v1 upstream, OpenAI out (stream or not). */
export async function chatCompletions(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const chat = parseChatRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  ctx.trace.model = chat.model;
  const model = resolveModel(chat.model, app.config.modelAliases);
  const capabilities = capabilitiesOf(app.config.capabilities, model);
  const attachmentPlan = planAttachments(chat.messages, {
    requestedModel: chat.model,
    vision: capabilities?.vision,
    visionModel: suggestedVisionModel(app.config.capabilities),
  });
  const upload = {
    requestId: ctx.requestId,
    forwardHeaders: ctx.forwardHeaders,
    signal: ctx.signal,
    trace: ctx.trace,
  };
  const attachments = attachmentPlan.attach.length === 0 && attachmentPlan.dropped.size === 0
    ? undefined
    : await resolveAttachments(attachmentPlan, {
      uploader: app.attachments,
      credential,
      call: upload,
      fetchOptions: {
        allowPrivate: app.config.allowPrivateImageUrls,
        timeoutMs: app.config.imageFetchTimeoutMs,
      },
    });
  const { body, plan } = toGigaChatRequest(chat, {
    aliases: app.config.modelAliases,
    maxOutputTokens: Math.min(
      capabilities?.max_output_tokens ?? app.config.maxOutputTokens,
      app.config.maxOutputTokens,
    ),
    structuredOutput: app.config.structuredOutputMode,
    reasoning: capabilities?.reasoning,
  }, attachments);
  // Long conversations keep working by sending only the newest images; say so to the client.
  const extraHeaders: Record<string, string> = attachmentPlan.dropped.size > 0
    ? { "X-Gateway-Images-Dropped": String(attachmentPlan.dropped.size) }
    : {};
  if (plan.ignoredTools.length > 0) {
    app.log.info("tools ignored", { request_id: ctx.requestId, types: plan.ignoredTools });
  }
  const call = {
    method: "POST" as const,
    path: "/chat/completions",
    json: body,
    credential,
    requestId: ctx.requestId,
    forwardHeaders: ctx.forwardHeaders,
    signal: ctx.signal,
    stream: plan.stream,
    trace: ctx.trace,
    model: { requested: chat.model, upstream: model },
  };
  const ids = newResponseIds();
  const complete = async ({ stream: _stream, ...json }: GigaChatChatRequest) => {
    const answer = await app.upstream.requestJson<GigaChatCompletion>({
      ...call,
      json,
      stream: false,
    });
    if (!Array.isArray(answer?.choices)) throw unexpectedAnswer();
    return toOpenAICompletion(answer, plan, ids);
  };
  if (plan.jsonAnswer !== undefined) {
    // A JSON answer is checked whole before any of it is sent, so even a stream gets it at once.
    const completion = await completeCheckedJson(body, plan, {
      complete,
      onRepair: (problem) =>
        app.log.info("repairing structured output", { request_id: ctx.requestId, problem }),
    });
    if (!plan.stream) return Response.json(completion, { headers: extraHeaders });
    const chunks = completionToChunks(completion, plan.includeUsage);
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(sseData(chunk));
          controller.enqueue(SSE_DONE);
          controller.close();
        },
      }),
      { headers: { ...SSE_HEADERS, ...extraHeaders } },
    );
  }
  if (!plan.stream) return Response.json(await complete(body), { headers: extraHeaders });
  // Failures up to here are ordinary HTTP errors; from the first byte on they are stream events.
  const upstream = await app.upstream.request(call);
  if (upstream.body === null) throw unexpectedAnswer();
  const stream = relayStream(upstream.body, new ChatChunkMapper(plan, ids), body.n ?? 1, ctx);
  return new Response(stream, {
    headers: { ...SSE_HEADERS, ...extraHeaders },
  });
}

/**
 * The streamed answer, set up apart from the route: the callbacks it keeps for the stream's
 * whole life would otherwise keep the route's scope, with the whole GigaChat request body in it.
 */
function relayStream(
  upstreamBody: ReadableStream<Uint8Array>,
  mapper: ChatChunkMapper,
  choices: number,
  ctx: RequestContext,
): ReadableStream<Uint8Array> {
  const { app, requestId } = ctx;
  let reportEnd: (outcome: StreamOutcome) => void = () => {};
  ctx.trace.streamEnd = new Promise((resolve) => reportEnd = resolve);
  return streamChatAnswer(upstreamBody, mapper, {
    keepaliveMs: app.config.streamKeepaliveMs,
    idleTimeoutMs: app.config.streamIdleTimeoutMs,
    stopping: app.stopping,
    choices,
    onFailure: (error) =>
      app.log.warn("stream failed", { request_id: requestId, error: error.message }),
    onEnd: reportEnd,
  });
}

function unexpectedAnswer(): GatewayError {
  return new GatewayError(502, "GigaChat sent an unexpected chat completion response", {
    type: "server_error",
    code: "upstream_error",
  });
}
