import type { RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { geminiEvents } from "../lib/dialects/gemini/gemini_events.ts";
import { geminiModelPage, toGeminiModel } from "../lib/dialects/gemini/gemini_models.ts";
import {
  type EmbedContentRequest,
  type GenerateContentRequest,
  parseBatchEmbedRequest,
  parseCountTokensRequest,
  parseEmbedContentRequest,
  parseGenerateContentRequest,
} from "../lib/dialects/gemini/gemini_request.ts";
import { toChatRequest } from "../lib/dialects/gemini/to_chat_request.ts";
import { toGeminiResponse } from "../lib/dialects/gemini/to_gemini_response.ts";
import { callFields } from "../lib/pipeline/call_fields.ts";
import { runChat } from "../lib/pipeline/chat_pipeline.ts";
import { countTokens } from "../lib/pipeline/count_tokens.ts";
import { checkDimensions, embedBatches } from "../lib/pipeline/embed_batches.ts";
import { streamResponse } from "../lib/pipeline/stream_response.ts";
import { resolveModel } from "../lib/resolve_model.ts";

/** The methods of `POST /v1beta/models/{model}:{method}`. */
const METHODS = {
  generateContent: (request, ctx, model) => generate(request, ctx, model, false),
  streamGenerateContent: (request, ctx, model) => generate(request, ctx, model, true),
  countTokens: countContentTokens,
  embedContent: embedContent,
  batchEmbedContents: batchEmbedContents,
} satisfies Record<string, (request: Request, ctx: RequestContext, model: string) => unknown>;

type Method = keyof typeof METHODS;

/**
 * `POST /v1beta/models/{model}:{method}` (also without `/v1beta`, and under `/v1`): Google's
 * Gemini API over the chat pipeline. The model name may hold slashes (the SDK does not escape
 * them), so the method is what follows the last colon.
 */
export function geminiModelCall(request: Request, ctx: RequestContext): Promise<Response> {
  const target = ctx.params.target ?? ctx.params.id ?? "";
  const colon = target.lastIndexOf(":");
  const method = target.slice(colon + 1);
  const model = target.slice(0, Math.max(colon, 0)).replace(/^models\//, "");
  if (colon < 1 || !Object.hasOwn(METHODS, method)) {
    throw new GatewayError(
      404,
      `There is no method '${colon < 0 ? target : method}' here; the Gemini API's are ` +
        `${Object.keys(METHODS).join(", ")}, as /v1beta/models/{model}:{method}.`,
      { type: "not_found_error", code: "unknown_method" },
    );
  }
  // One route label per method, whatever the model: metrics stay bounded.
  ctx.trace.route = `/v1beta/models/:model:${method}`;
  ctx.trace.model = model;
  return METHODS[method as Method](request, ctx, model);
}

/** Gemini CLI asks for gemini-* models unless told otherwise: they must be mapped. */
function checkModel(model: string, aliases: Readonly<Record<string, string>>): void {
  if (!/^gemini-/i.test(model) || Object.hasOwn(aliases, model)) return;
  throw new GatewayError(
    404,
    `models/${model} is not a GigaChat model. Map it in MODEL_ALIASES, e.g. ` +
      `MODEL_ALIASES='{"${model}":"GigaChat-2-Max"}', or ask for a GigaChat model by name ` +
      "(Gemini CLI: -m GigaChat-2-Max).",
    { type: "not_found_error", code: "model_not_found", param: "model" },
  );
}

async function generate(
  request: Request,
  ctx: RequestContext,
  model: string,
  stream: boolean,
): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const body = parseGenerateContentRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  checkModel(model, app.config.modelAliases);
  const translation = toChatRequest(body, model, stream);
  const outcome = await runChat(translation.chat, credential, ctx).catch((error) => {
    throw translation.origins.relocate(error);
  });
  const setting = {
    model,
    responseId: crypto.randomUUID().replaceAll("-", ""),
    includeThoughts: translation.includeThoughts,
  };
  if (outcome.kind === "completion") {
    return Response.json(toGeminiResponse(outcome.completion, setting), {
      headers: outcome.headers,
    });
  }
  // `alt=sse` is what the SDKs ask for; without it Google streams one JSON array.
  const sse = new URL(request.url).searchParams.get("alt") === "sse";
  return streamResponse(ctx, geminiEvents(outcome.stream, setting, sse ? "sse" : "array"), {
    idle: outcome.stream.idle,
    headers: sse ? outcome.headers : { ...outcome.headers, "Content-Type": "application/json" },
  });
}

/** `:countTokens`: GigaChat's own count of the text the request carries. */
async function countContentTokens(
  request: Request,
  ctx: RequestContext,
  model: string,
): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const body = parseCountTokensRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  checkModel(model, app.config.modelAliases);
  // Not judged as a whole conversation: Gemini CLI counts fragments, such as a function's
  // response (with its image) without the call it answers.
  const totalTokens = await countTokens(textsOf(body), model, credential, ctx);
  return Response.json({ totalTokens });
}

/** Every text the model would read, for counting. */
function textsOf(body: GenerateContentRequest): string[] {
  const texts: string[] = [];
  const parts = [
    ...(body.systemInstruction?.parts ?? []),
    ...body.contents.flatMap((c) => c.parts),
  ];
  for (const part of parts) {
    if (typeof part.text === "string") texts.push(part.text);
    if (part.functionCall) texts.push(JSON.stringify(part.functionCall.args ?? {}));
    if (part.functionResponse) texts.push(JSON.stringify(part.functionResponse.response ?? {}));
  }
  for (const tool of body.tools ?? []) texts.push(JSON.stringify(tool));
  return texts;
}

/** `:embedContent`: one text's vector. */
async function embedContent(
  request: Request,
  ctx: RequestContext,
  model: string,
): Promise<Response> {
  const credential = await ctx.app.authenticate(request, ctx);
  const body = parseEmbedContentRequest(
    await readJsonBody(request, ctx.app.config.maxBodyBytes, ctx.app.bodyDeadlines),
  );
  const [values] = await embed([body], model, credential, ctx, "");
  return Response.json({ embedding: { values } });
}

/** `:batchEmbedContents`: each request's vector, in order (what @google/genai calls). */
async function batchEmbedContents(
  request: Request,
  ctx: RequestContext,
  model: string,
): Promise<Response> {
  const credential = await ctx.app.authenticate(request, ctx);
  const requests = parseBatchEmbedRequest(
    await readJsonBody(request, ctx.app.config.maxBodyBytes, ctx.app.bodyDeadlines),
  );
  requests.forEach((item, i) => {
    const named = item.model?.replace(/^models\//, "");
    if (named && named !== model) {
      throw invalidRequest(
        `requests[${i}].model is models/${named}, not the models/${model} of the URL.`,
        `requests[${i}].model`,
      );
    }
  });
  const vectors = await embed(requests, model, credential, ctx, "requests[].");
  return Response.json({ embeddings: vectors.map((values) => ({ values })) });
}

async function embed(
  requests: readonly EmbedContentRequest[],
  requested: string,
  credential: Parameters<typeof countTokens>[2],
  ctx: RequestContext,
  prefix: string,
): Promise<number[][]> {
  const upstream = resolveModel(requested, ctx.app.config.modelAliases);
  const texts = requests.map((item, i) =>
    item.content.parts.map((part, k) => {
      if (typeof part.text === "string") return part.text;
      const at = prefix === "" ? `content.parts[${k}]` : `requests[${i}].content.parts[${k}]`;
      throw invalidRequest(`${at}: embeddings take text parts only.`, at);
    }).join("\n")
  );
  const asked = [...new Set(requests.map((item) => item.outputDimensionality))];
  const param = `${prefix}outputDimensionality`;
  for (const size of asked) checkDimensions(upstream, size, undefined, param);
  const answers = await embedBatches(texts, { requested, upstream }, credential, ctx);
  const vectors = answers.flatMap((answer) =>
    [...answer.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((entry) => entry.embedding)
  );
  for (const size of asked) checkDimensions(upstream, size, vectors[0]?.length, param);
  return vectors;
}

/** `GET /v1beta/models`: the gateway's models in Google's shape, a page at a time. */
export async function listGeminiModels(request: Request, ctx: RequestContext): Promise<Response> {
  const credential = await ctx.app.authenticate(request, ctx);
  const models = await ctx.app.models.list(credential, callFields(ctx));
  return Response.json(geminiModelPage(models, new URL(request.url).searchParams));
}

/** `GET /v1beta/models/{model}`: one model in Google's shape. */
export async function getGeminiModel(request: Request, ctx: RequestContext): Promise<Response> {
  const credential = await ctx.app.authenticate(request, ctx);
  const id = (ctx.params.target ?? ctx.params.id ?? "").replace(/^models\//, "");
  ctx.trace.model = id;
  return Response.json(toGeminiModel(await ctx.app.models.get(id, credential, callFields(ctx))));
}

/** Whether a request comes from a Google client: its key where Google's clients put it. */
export function isGoogleClient(request: Request): boolean {
  return request.headers.has("x-goog-api-key") || new URL(request.url).searchParams.has("key");
}
