import type { RequestContext, StreamOutcome } from "../lib/context.ts";
import { GatewayError } from "../lib/errors.ts";
import type { GigaChatChatRequest, GigaChatCompletion } from "../lib/gigachat/types.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { SSE_DONE, SSE_HEADERS, sseData } from "../lib/http/sse.ts";
import { streamChatAnswer } from "../lib/openai/chat_stream.ts";
import { type ChatPlan, toGigaChatRequest } from "../lib/mapping/to_gigachat_request.ts";
import { ChatChunkMapper } from "../lib/mapping/to_openai_chunks.ts";
import { newResponseIds, toOpenAICompletion } from "../lib/mapping/to_openai_completion.ts";
import { completionToChunks } from "../lib/mapping/completion_to_chunks.ts";
import { toRepairRequest } from "../lib/mapping/to_repair_request.ts";
import { parseChatRequest } from "../lib/openai/chat_request.ts";
import { resolveModel } from "../lib/openai/resolve_model.ts";
import { planAttachments } from "../lib/vision/plan_attachments.ts";
import { capabilitiesOf, suggestedVisionModel } from "../lib/model_capabilities.ts";
import { resolveAttachments } from "../lib/vision/resolve_attachments.ts";
import { checkJsonAnswer } from "../lib/openai/check_json_answer.ts";
import type { OpenAIChatCompletion } from "../lib/openai/types.ts";

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
    const completion = await completeCheckedJson(body, plan, complete, ctx);
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

/**
 * The answer to a request with a JSON response_format, checked against it (schema or plain
 * JSON object), with one repair round trip when it fails. A turn that calls a tool is not the
 * final answer and is passed on unchecked.
 */
async function completeCheckedJson(
  body: GigaChatChatRequest,
  plan: ChatPlan,
  complete: (json: GigaChatChatRequest) => Promise<OpenAIChatCompletion>,
  ctx: RequestContext,
): Promise<OpenAIChatCompletion> {
  const expectation = plan.jsonAnswer!;
  const problemOf = async (completion: OpenAIChatCompletion) => {
    const choice = completion.choices[0];
    if (choice === undefined || choice.finish_reason === "tool_calls") return undefined;
    const check = await checkJsonAnswer(choice.message.content ?? "", expectation);
    return check.ok ? undefined : { content: choice.message.content ?? "", problem: check.problem };
  };
  const first = await complete(body);
  const failed = await problemOf(first);
  if (failed === undefined) return first;
  ctx.app.log.info("repairing structured output", {
    request_id: ctx.requestId,
    problem: failed.problem,
  });
  const second = await complete(toRepairRequest(body, plan, failed.content, failed.problem));
  const stillFailed = await problemOf(second);
  if (stillFailed === undefined) return second;
  throw new GatewayError(
    502,
    `GigaChat's answer does not fit the requested response_format, even after one repair ` +
      `attempt: ${stillFailed.problem}.`,
    { type: "server_error", code: "invalid_structured_output", retryable: false },
  );
}

function unexpectedAnswer(): GatewayError {
  return new GatewayError(502, "GigaChat sent an unexpected chat completion response", {
    type: "server_error",
    code: "upstream_error",
  });
}
