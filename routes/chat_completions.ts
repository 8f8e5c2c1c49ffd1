import type { RequestContext } from "../lib/context.ts";
import { GatewayError } from "../lib/errors.ts";
import type { GigaChatChunk, GigaChatCompletion } from "../lib/gigachat/types.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { SSE_DONE, SSE_HEADERS, SSE_KEEPALIVE, sseData, sseDataStream } from "../lib/http/sse.ts";
import { describeError } from "../lib/log.ts";
import { type ChatPlan, toGigaChatRequest } from "../lib/mapping/to_gigachat_request.ts";
import { ChatChunkMapper } from "../lib/mapping/to_openai_chunks.ts";
import {
  newResponseIds,
  type ResponseIds,
  toOpenAICompletion,
} from "../lib/mapping/to_openai_completion.ts";
import { parseChatRequest } from "../lib/openai/chat_request.ts";

/** How long a stream may stay silent before a keep-alive comment is sent. */
const KEEPALIVE_MS = 15_000;

/** `POST /v1/chat/completions`: OpenAI in, GigaChat v1 upstream, OpenAI out (stream or not). */
export async function chatCompletions(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request);
  const chat = parseChatRequest(await readJsonBody(request, app.config.maxBodyBytes));
  ctx.trace.model = chat.model;
  const { body, plan } = toGigaChatRequest(chat, {
    aliases: app.config.modelAliases,
    maxOutputTokens: app.config.maxOutputTokens,
    structuredOutput: app.config.structuredOutputMode,
  });
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
    signal: request.signal,
    stream: plan.stream,
    trace: ctx.trace,
  };
  const ids = newResponseIds();
  if (!plan.stream) {
    const answer = await app.upstream.requestJson<GigaChatCompletion>(call);
    if (!Array.isArray(answer?.choices)) throw unexpectedAnswer();
    return Response.json(toOpenAICompletion(answer, plan, ids));
  }
  // Failures up to here are ordinary HTTP errors; from the first byte on they are stream events.
  const upstream = await app.upstream.request(call);
  if (upstream.body === null) throw unexpectedAnswer();
  return new Response(streamAnswer(upstream.body, plan, ids, ctx), { headers: SSE_HEADERS });
}

function streamAnswer(
  upstreamBody: ReadableStream<Uint8Array>,
  plan: ChatPlan,
  ids: ResponseIds,
  ctx: RequestContext,
): ReadableStream<Uint8Array> {
  const mapper = new ChatChunkMapper(plan, ids);
  const events = sseDataStream(upstreamBody).getReader();
  let lastWrite = Date.now();
  let keepalive: ReturnType<typeof setInterval> | undefined;
  const stop = () => clearInterval(keepalive);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(sseData(mapper.start()));
      keepalive = setInterval(() => {
        if (Date.now() - lastWrite < KEEPALIVE_MS) return;
        lastWrite = Date.now();
        controller.enqueue(SSE_KEEPALIVE);
      }, KEEPALIVE_MS / 3);
    },
    // Pull-driven: the next upstream event is read only when the client has taken the last one,
    // so a slow reader slows GigaChat's stream instead of filling memory.
    async pull(controller) {
      try {
        while (true) {
          const { value, done } = await events.read();
          if (done || value === "[DONE]") {
            if (!mapper.complete) throw new Error("GigaChat ended the stream before finishing");
            for (const chunk of mapper.finish()) controller.enqueue(sseData(chunk));
            controller.enqueue(SSE_DONE);
            stop();
            controller.close();
            await events.cancel().catch(() => {});
            return;
          }
          const chunks = mapper.map(parseChunk(value));
          for (const chunk of chunks) controller.enqueue(sseData(chunk));
          if (chunks.length > 0) {
            lastWrite = Date.now();
            return;
          }
        }
      } catch (error) {
        stop();
        ctx.app.log.warn("stream failed", {
          request_id: ctx.requestId,
          error: describeError(error),
        });
        const failure = error instanceof GatewayError ? error : new GatewayError(
          502,
          `The GigaChat stream broke off: ${error instanceof Error ? error.message : error}`,
          { type: "server_error", code: "upstream_stream_error" },
        );
        controller.enqueue(sseData(failure.toBody()));
        controller.enqueue(SSE_DONE);
        controller.close();
        await events.cancel().catch(() => {});
      }
    },
    async cancel(reason) {
      // The client left: stop reading, which aborts the upstream request.
      stop();
      await events.cancel(reason).catch(() => {});
    },
  });
}

function parseChunk(data: string): GigaChatChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new GatewayError(502, "GigaChat sent a stream event that is not JSON", {
      type: "server_error",
      code: "upstream_stream_error",
    });
  }
  if (
    typeof value !== "object" || value === null || !Array.isArray((value as GigaChatChunk).choices)
  ) {
    throw new GatewayError(502, "GigaChat sent a stream event without choices", {
      type: "server_error",
      code: "upstream_stream_error",
    });
  }
  return value as GigaChatChunk;
}

function unexpectedAnswer(): GatewayError {
  return new GatewayError(502, "GigaChat sent an unexpected chat completion response", {
    type: "server_error",
    code: "upstream_error",
  });
}
