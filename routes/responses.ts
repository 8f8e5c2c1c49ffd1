import type { RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { responseEvents } from "../lib/dialects/responses/response_events.ts";
import {
  type InputItem,
  parseResponsesRequest,
} from "../lib/dialects/responses/responses_request.ts";
import { toChatRequest } from "../lib/dialects/responses/to_chat_request.ts";
import { toStoredInputItems } from "../lib/dialects/responses/input_items.ts";
import { parseListQuery, toListPage } from "../lib/openai/list_page.ts";
import {
  newId,
  type ResponseObject,
  type ResponseSetting,
  toResponse,
} from "../lib/dialects/responses/to_response.ts";
import { runChat } from "../lib/pipeline/chat_pipeline.ts";
import type { Credential } from "../lib/gigachat/credential.ts";
import { MAX_CHAIN_LINKS, readChain, type StoredResponse } from "../lib/pipeline/response_store.ts";
import { streamResponse } from "../lib/pipeline/stream_response.ts";

/** `POST /v1/responses`: OpenAI's Responses API over the chat pipeline. */
export async function createResponse(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const body = parseResponsesRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  // The stored conversation is replayed before this turn: each response's input, then its
  // output as input items, oldest first.
  const history: InputItem[] = body.previous_response_id
    ? (await historyOrFail(ctx, ownerOf(credential), body.previous_response_id)).flatMap((
      entry,
    ) => [...entry.input, ...(entry.response as ResponseObject).output] as InputItem[])
    : [];
  const translation = toChatRequest(body, history);
  // GigaChat caches prompts per X-Session-ID: the prompt cache key is that, unless the client
  // set the header itself.
  const forwardHeaders = body.prompt_cache_key && !("x-session-id" in ctx.forwardHeaders) &&
      /^[A-Za-z0-9._:-]{1,128}$/.test(body.prompt_cache_key)
    ? { ...ctx.forwardHeaders, "x-session-id": body.prompt_cache_key }
    : ctx.forwardHeaders;
  const setting: ResponseSetting = {
    id: newId("resp"),
    createdAt: Math.floor(Date.now() / 1000),
    request: body,
    tools: translation.tools,
    encryptedReasoning: (body.include ?? []).includes("reasoning.encrypted_content"),
  };
  // Only this turn: the chain links it to the turns before (storage grows with the
  // conversation, not with its square).
  const input = toStoredInputItems(body.input);
  // Saved before the client hears the response is complete, so its next turn finds it on any
  // instance. A response that cannot be kept says so (`store: false`) rather than claim it was;
  // a store that fails is logged, and the answer is not withheld for it.
  const store = async (response: ResponseObject): Promise<void> => {
    if (body.store === false) return;
    let kept = false;
    try {
      kept = await app.responses.save(ownerOf(credential), {
        id: response.id,
        response,
        input,
        ...(body.previous_response_id ? { previous: body.previous_response_id } : {}),
      });
    } catch (error) {
      app.log.error("response not stored", {
        request_id: ctx.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (!kept) (response as { store: boolean }).store = false;
  };
  // The pipeline speaks of chat messages; the client hears of its own input items.
  const outcome = await runChat(translation.chat, credential, { ...ctx, forwardHeaders })
    .catch((error) => {
      throw translation.origins.relocate(error);
    });
  if (outcome.kind === "completion") {
    const response = toResponse(outcome.completion, setting);
    await store(response);
    const stored = { "x-gateway-stored": String(response.store) };
    return Response.json(response, { headers: { ...outcome.headers, ...stored } });
  }
  return streamResponse(ctx, responseEvents(outcome.stream, setting, store), {
    idle: outcome.stream.idle,
    headers: outcome.headers,
  });
}

/** `GET /v1/responses/{id}`: a stored response of this key. */
export async function getResponse(request: Request, ctx: RequestContext): Promise<Response> {
  const credential = await ctx.app.authenticate(request, ctx);
  return Response.json(
    (await storedOrFail(ctx, ownerOf(credential), ctx.params.id, "id")).response,
  );
}

/**
 * `GET /v1/responses/{id}/input_items`: what that response itself was given (not its chain's
 * history), as OpenAI's cursor page: `limit` (20, at most 100), `after`, `order` (desc).
 */
export async function getResponseInputItems(
  request: Request,
  ctx: RequestContext,
): Promise<Response> {
  const query = parseListQuery(new URL(request.url).searchParams, {
    defaultLimit: 20,
    maxLimit: 100,
  });
  const credential = await ctx.app.authenticate(request, ctx);
  const stored = await storedOrFail(ctx, ownerOf(credential), ctx.params.id, "id");
  // Responses stored before items had ids of their own get ones from their place.
  const own = stored.input.slice(stored.ownFrom ?? 0).map((item, i) => {
    const record = item as { id?: unknown };
    return typeof record.id === "string"
      ? record as { id: string }
      : { ...record, id: `${stored.id}_${i}` };
  });
  return Response.json(toListPage(own, query, "input item"));
}

/** `DELETE /v1/responses/{id}`. */
export async function deleteResponse(request: Request, ctx: RequestContext): Promise<Response> {
  const credential = await ctx.app.authenticate(request, ctx);
  if (!await ctx.app.responses.delete(ownerOf(credential), ctx.params.id)) {
    throw notStored(ctx.params.id, "id");
  }
  return Response.json({ id: ctx.params.id, object: "response", deleted: true });
}

/** Whose stored responses a request may see: its proxy key's, else its GigaChat key's. */
function ownerOf(credential: Credential): string {
  return credential.owner ?? credential.id;
}

/** The conversation ending at `id`, oldest first; a 400 when any of it is gone. */
async function historyOrFail(
  ctx: RequestContext,
  credentialId: string,
  id: string,
): Promise<StoredResponse[]> {
  const chain = await readChain(ctx.app.responses, credentialId, id);
  ctx.app.metrics.cacheLookup("responses", chain.kind === "found");
  if (chain.kind === "found") return chain.entries;
  if (chain.kind === "too_long") {
    throw invalidRequest(
      `The conversation of '${id.slice(0, 100)}' is longer than ${MAX_CHAIN_LINKS} stored ` +
        "responses; send its history in 'input' instead.",
      "previous_response_id",
      "previous_response_not_found",
    );
  }
  if (chain.continuedBy === undefined) throw notStored(id, "previous_response_id");
  throw invalidRequest(
    `Previous response with id '${id.slice(0, 100)}' belongs to a conversation whose earlier ` +
      `response '${chain.id.slice(0, 100)}' is no longer stored, so it cannot be rebuilt. Send ` +
      "the whole history in 'input' instead.",
    "previous_response_id",
    "previous_response_not_found",
  );
}

async function storedOrFail(
  ctx: RequestContext,
  credentialId: string,
  id: string,
  param: string,
): Promise<StoredResponse> {
  const stored = await ctx.app.responses.get(credentialId, id);
  ctx.app.metrics.cacheLookup("responses", stored !== undefined);
  if (stored === undefined) throw notStored(id, param);
  return stored;
}

/**
 * A response this key has not stored: a 404 where it is the resource asked for, and as OpenAI
 * answers for a `previous_response_id`, a 400 `previous_response_not_found` (what clients and
 * proxies look for to fall back to sending the whole history).
 */
function notStored(id: string, param: string): GatewayError {
  const why = "it was made with store: false, by another key, has expired or been deleted, or " +
    "was lost when the gateway restarted (without REDIS_URL, responses are kept in memory). " +
    "Send the whole history in 'input' instead.";
  const shown = id.slice(0, 100);
  if (param === "previous_response_id") {
    return invalidRequest(
      `Previous response with id '${shown}' not found: ${why}`,
      param,
      "previous_response_not_found",
    );
  }
  return new GatewayError(404, `No response '${shown}' is stored for this key: ${why}`, {
    type: "invalid_request_error",
    code: "response_not_found",
    param,
  });
}
