// The chat pipeline: what every dialect's chat request goes through, once. A dialect turns its
// request into a ChatRequest and renders what comes back; attachments, tools, structured
// output, limits, reasoning and the upstream call with its retries happen here.
import { checkModelAllowed } from "./model_allowed.ts";
import { GatewayError, invalidRequest } from "../errors.ts";
import type { RequestContext } from "../context.ts";
import type { Credential } from "../gigachat/credential.ts";
import type { GigaChatChatRequest } from "../gigachat/types.ts";
import type { UpstreamCall } from "../gigachat/upstream_client.ts";
import { completeCheckedJson, completionToChunks } from "../mapping/structured_output.ts";
import { toGigaChatRequest } from "../mapping/to_gigachat_request.ts";
import type { ResolvedAttachments } from "../mapping/to_gigachat_messages.ts";
import { ChatChunkMapper } from "../mapping/to_openai_chunks.ts";
import { newResponseIds, toOpenAICompletion } from "../mapping/to_openai_completion.ts";
import { capabilitiesOf, suggestedVisionModel } from "../model_capabilities.ts";
import { resolveModel } from "../resolve_model.ts";
import type { ChatRequest } from "../openai/chat_request.ts";
import type { OpenAIChatCompletion } from "../openai/types.ts";
import { type AttachmentPlan, planAttachments } from "../vision/plan_attachments.ts";
import {
  asMember,
  isCredentialTrouble,
  isPoolExhausted,
  throughMember,
} from "./credential_pool.ts";
import { resolveAttachments } from "../vision/resolve_attachments.ts";
import { callFields } from "./call_fields.ts";
import { backendFor, v1Backend, v2Backend } from "./chat_backends.ts";
import { type ChunkStream, preparedChunks, relayedChunks } from "./chunk_stream.ts";

/** Output tokens reserved for a request that sets no max_tokens. */
const DEFAULT_OUTPUT_RESERVATION = 1024;

/** What the pipeline answers: one completion, or a stream of chunks. */
export type ChatOutcome =
  | { kind: "completion"; completion: OpenAIChatCompletion; headers: Record<string, string> }
  | { kind: "stream"; stream: ChunkStream; headers: Record<string, string> };

/**
 * Runs one chat request for `credential` on its model, then on the model's MODEL_FALLBACKS in
 * order while GigaChat cannot answer (its 429 or 5xx, once retries are spent, or no pool
 * credential can take the model; never a refusal of the request, a used-up balance, or the
 * gateway's own limits). The answer names the model that
 * answered, and the X-Gateway-Fallback-Model header says a fallback did.
 */
export async function runChat(
  chat: ChatRequest,
  credential: Credential,
  ctx: RequestContext,
): Promise<ChatOutcome> {
  const { app } = ctx;
  const fallbacks = Object.hasOwn(app.config.fallbacks, chat.model)
    ? app.config.fallbacks[chat.model]
    : [];
  for (let i = 0;; i++) {
    const current = i === 0 ? chat : { ...chat, model: fallbacks[i - 1] };
    const attemptsBefore = ctx.trace.upstreamAttempts;
    try {
      const outcome = await runModel(current, credential, ctx);
      if (i > 0) outcome.headers["X-Gateway-Fallback-Model"] = current.model;
      return outcome;
    } catch (error) {
      const fromGigaChat = ctx.trace.upstreamAttempts > attemptsBefore;
      const cannotTake = isPoolExhausted(error) || (fromGigaChat && unanswerable(error));
      if (i >= fallbacks.length || !cannotTake) throw error;
      // What this try reserved of the tenant's limits is given back before the next.
      ctx.trace.settleTokens?.(0, 0);
      ctx.trace.settleTokens = undefined;
      app.log.warn("falling back to another model", {
        request_id: ctx.requestId,
        from: current.model,
        to: fallbacks[i],
        error_code: (error as GatewayError).code ?? (error as GatewayError).type,
      });
      app.metrics.fallbacks.add([
        app.metrics.modelLabel(current.model),
        app.metrics.modelLabel(fallbacks[i]),
      ]);
    }
  }
}

/** GigaChat could not answer now (overloaded, down): another model may. */
function unanswerable(error: unknown): boolean {
  return error instanceof GatewayError && error.retryable && error.type !== "insufficient_quota" &&
    (error.status === 429 || error.status >= 500);
}

/**
 * Runs one chat request for `client` (its key, owner and tenant): attachments resolved and
 * uploaded, the GigaChat request built, a slot taken (a pool credential's, tried again on another
 * when GigaChat refuses or limits the first), structured output checked and repaired, and the
 * answer as a completion or a chunk stream. Failures before a stream starts throw GatewayErrors.
 */
async function runModel(
  chat: ChatRequest,
  client: Credential,
  ctx: RequestContext,
): Promise<ChatOutcome> {
  const { app } = ctx;
  ctx.trace.model = chat.model;
  checkModelAllowed(client, chat.model);
  const model = resolveModel(chat.model, app.config.modelAliases);
  const capabilities = capabilitiesOf(app.config.capabilities, model);
  const attachmentPlan = planAttachments(chat.messages, {
    requestedModel: chat.model,
    vision: capabilities?.vision,
    suggestVisionModel: () => suggestedVisionModel(app.config.capabilities),
  });
  const hasAttachments = attachmentPlan.attach.length > 0 || attachmentPlan.dropped.size > 0;
  const pool = app.pool;
  // A GigaChat file belongs to the account that made it: a request naming files is answered by
  // that pool credential. Other images go up through whichever credential answers, once chosen.
  const pinned = hasAttachments ? await filesMember(ctx, attachmentPlan) : undefined;
  const deferUploads = hasAttachments && pinned === undefined && pool?.switches === true;
  const prepare = async (credential: Credential): Promise<Generation> => {
    const attachments = !hasAttachments ? undefined : await resolveAttachments(attachmentPlan, {
      uploader: app.attachments,
      owners: app.files,
      credential,
      call: callFields(ctx),
      fetchOptions: {
        allowPrivate: app.config.allowPrivateImageUrls,
        timeoutMs: app.config.imageFetchTimeoutMs,
      },
    });
    return toGeneration(chat, model, attachments, attachmentPlan.dropped.size, ctx);
  };
  const ready = deferUploads
    ? undefined
    : hasAttachments
    ? await prepare(throughMember(pool, client, pinned))
    : toGeneration(chat, model, undefined, 0, ctx);
  // A tenant's token limits: what this request may use is reserved before it goes upstream.
  const tenant = client.tenant;
  if (tenant !== undefined && app.tenants !== undefined) {
    ctx.trace.settleTokens = await app.tenants.reserve(
      tenant.id,
      tenant.limits,
      () => reservationOf(chat),
    );
  }
  for (let tries = 1;; tries++) {
    const { credential, release } = await generationSlot(ctx, client, model, pinned);
    try {
      return await generate(ready ?? await prepare(credential), credential, release, ctx);
    } catch (error) {
      release();
      if (pool?.switches !== true || !isCredentialTrouble(error)) throw error;
      // None left to try: why (every credential cooling down or out), which fallbacks may take.
      const blocked = pool.unavailable(model, pinned);
      if (blocked !== undefined) throw blocked;
      if (tries >= pool.size) throw error;
      app.log.warn("trying another GigaChat credential", {
        request_id: ctx.requestId,
        from: credential.member,
        error_code: (error as GatewayError).code ?? (error as GatewayError).type,
      });
    }
  }
}

/** The GigaChat request for `chat` with its `attachments`, and the backend that sends it. */
function toGeneration(
  chat: ChatRequest,
  model: string,
  attachments: ResolvedAttachments | undefined,
  droppedImages: number,
  ctx: RequestContext,
): Generation {
  const { app } = ctx;
  const capabilities = capabilitiesOf(app.config.capabilities, model);
  const backendName = backendFor(model, app.config.backends);
  ctx.trace.backend = backendName;
  const { body, plan } = toGigaChatRequest(chat, {
    aliases: app.config.modelAliases,
    maxOutputTokens: Math.min(
      capabilities?.max_output_tokens ?? app.config.maxOutputTokens,
      app.config.maxOutputTokens,
    ),
    // v2 takes a JSON schema natively (API-more.md §9); the answer is still checked.
    structuredOutput: backendName === "v2" ? "native" : app.config.structuredOutputMode,
    reasoning: capabilities?.reasoning,
    backend: backendName,
    hostedTools: app.config.backends.v2Tools,
  }, attachments);
  const backend = backendName === "v2"
    ? v2Backend(app.upstream, app.config.backends.v2Url!, plan.hosted)
    : v1Backend(app.upstream);
  // Long conversations keep working by sending only the newest images; say so to the client.
  const headers: Record<string, string> = droppedImages > 0
    ? { "X-Gateway-Images-Dropped": String(droppedImages) }
    : {};
  if (plan.ignoredTools.length > 0) {
    app.log.info("tools ignored", { request_id: ctx.requestId, types: plan.ignoredTools });
    headers["X-Gateway-Tools-Ignored"] = plan.ignoredTools.join(", ");
  }
  return { chat, model, body, plan, backend, headers };
}

/** What one chat generation sends, however many credentials it takes to send it. */
interface Generation {
  chat: ChatRequest;
  /** GigaChat's name for the model. */
  model: string;
  body: GigaChatChatRequest;
  plan: ReturnType<typeof toGigaChatRequest>["plan"];
  backend: ReturnType<typeof v1Backend>;
  headers: Record<string, string>;
}

/**
 * One slot for a generation (UPSTREAM_CONCURRENCY, or a pool credential's cap): taken before
 * anything is sent, so a full line is an ordinary 429, and held until the answer ends, streams
 * included. Clients wait in lines of their own (proxy key or tenant), so one client's burst waits
 * behind itself. Server-side mode's credential is the one whose slot it is.
 */
async function generationSlot(
  ctx: RequestContext,
  client: Credential,
  model: string,
  pinned: string | undefined,
): Promise<{ credential: Credential; release: () => void }> {
  const { app } = ctx;
  const line = client.owner ?? "";
  const weight = client.tenant?.limits.weight;
  const since = performance.now();
  // Counted whether a slot came or not: the longest waits end in a 429 or a timeout.
  const waited = () => {
    ctx.trace.queueMs = (ctx.trace.queueMs ?? 0) + Math.round(performance.now() - since);
  };
  if (app.pool === undefined) {
    const key = app.config.queue.perModel ? `${client.id}\u0000${model}` : client.id;
    const release = await app.slots.acquire(key, ctx.signal, line, weight).finally(waited);
    return { credential: client, release };
  }
  const lease = await app.pool.acquire(model, ctx.signal, line, weight, pinned).finally(waited);
  if (app.config.pool !== undefined) ctx.trace.credential = lease.member.name;
  // Usually the member the request was authenticated with: nothing to copy then.
  const credential = lease.member.credential.id === client.id
    ? client
    : asMember(client, lease.member);
  return { credential, release: lease.release };
}

/**
 * The pool credential holding the files the request names by id (all must be in one);
 * undefined when it names none the gateway knows of, or there is no pool to choose from.
 */
async function filesMember(
  ctx: RequestContext,
  attachmentPlan: AttachmentPlan,
): Promise<string | undefined> {
  if ((ctx.app.pool?.size ?? 0) < 2) return undefined;
  const named = new Set<string>();
  for (const { source } of attachmentPlan.attach) {
    if (source.kind !== "file" || !source.fileId) continue;
    const member = (await ctx.app.files.holderOf(source.fileId))?.member;
    if (member !== undefined) named.add(member);
  }
  if (named.size > 1) {
    throw invalidRequest(
      "The files of this request were uploaded through different GigaChat accounts of the " +
        "gateway, and one answer can use the files of one account only.",
    );
  }
  return named.size === 1 ? [...named][0] : undefined;
}

/** Sends `generation` with `credential`, whose slot `release` gives back once it ends. */
async function generate(
  generation: Generation,
  credential: Credential,
  release: () => void,
  ctx: RequestContext,
): Promise<ChatOutcome> {
  const { app } = ctx;
  const { model, body, plan, backend, headers } = generation;
  // A generated image is fetched before the answer can be given, so it is prepared whole.
  const prepared = plan.jsonAnswer !== undefined || plan.hosted.tools.includes("image_generate");
  const call: UpstreamCall = {
    ...callFields(ctx),
    method: "POST",
    path: "/chat/completions",
    json: body,
    credential,
    stream: plan.stream,
    model: { requested: generation.chat.model, upstream: model },
    // With other credentials to turn to, GigaChat's 429 is not waited out on this one; a
    // prepared stream fails inside its stream, where no other can be tried.
    retryRateLimits: app.pool?.switches !== true || (prepared && plan.stream),
  };
  const ids = newResponseIds();
  const countTokens = (
    usage: { prompt_tokens?: number; completion_tokens?: number } | undefined,
  ) => {
    const input = usage?.prompt_tokens ?? 0;
    const output = usage?.completion_tokens ?? 0;
    app.metrics.observeTokens(model, input, output);
    // A repaired JSON answer took two calls: the trace shows what both cost.
    const sum = ctx.trace.usage ?? { input: 0, output: 0 };
    ctx.trace.usage = { input: sum.input + input, output: sum.output + output };
  };
  const complete = async (json: GigaChatChatRequest, signal = call.signal) => {
    const answer = await backend.complete(json, { ...call, signal });
    countTokens(answer.usage);
    return toOpenAICompletion(answer, plan, ids);
  };
  if (prepared) {
    // A JSON answer is checked whole before any of it is sent.
    const checked = (signal?: AbortSignal) =>
      plan.jsonAnswer === undefined ? complete(body, signal) : completeCheckedJson(body, plan, {
        complete: (json) => complete(json, signal),
        onRepair: (problem) =>
          app.log.info("repairing structured output", { request_id: ctx.requestId, problem }),
      });
    if (!plan.stream) {
      const completion = await checked().finally(release);
      return { kind: "completion", completion, headers };
    }
    // A stream gets its headers and keep-alives at once while the answer is prepared.
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    const chunks = checked(signal).finally(release).then((completion) =>
      completionToChunks(completion, plan.includeUsage)
    );
    return { kind: "stream", stream: preparedChunks(chunks, () => stop.abort()), headers };
  }
  if (!plan.stream) {
    const completion = await complete(body).finally(release);
    return { kind: "completion", completion, headers };
  }
  // Failures up to here are ordinary HTTP errors; from the first byte on they are stream events.
  const upstream = await backend.open(body, call);
  const mapper = new ChatChunkMapper(plan, ids);
  const stream = relayedChunks(upstream.body, mapper, body.n ?? 1, upstream.decode);
  const releaseUpstream = stream.release;
  stream.release = (outcome) => {
    const ended = releaseUpstream(outcome);
    countTokens(mapper.usage);
    // The slot is held until GigaChat's own answer has ended (its [DONE] may follow the last
    // chunk the client needed): its per-account limit counts the request until then.
    void Promise.resolve(ended).finally(release);
  };
  return { kind: "stream", stream, headers };
}

/** Tokens a request may use: its prompt, estimated from its length, and its output limit. */
function reservationOf(chat: ChatRequest): number {
  const prompt = Math.ceil(JSON.stringify(chat.messages).length / 3);
  return prompt + (chat.max_completion_tokens ?? chat.max_tokens ?? DEFAULT_OUTPUT_RESERVATION);
}
