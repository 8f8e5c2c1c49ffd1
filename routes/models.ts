import type { RequestContext } from "../lib/context.ts";
import { callFields } from "../lib/pipeline/call_fields.ts";
import { getGeminiModel, isGoogleClient, listGeminiModels } from "./gemini.ts";

/** `GET /v1/models`: GigaChat's models in OpenAI's list shape (Google's, to a Google client). */
export async function listModels(request: Request, ctx: RequestContext): Promise<Response> {
  if (isGoogleClient(request)) return await listGeminiModels(request, ctx);
  const credential = await ctx.app.authenticate(request, ctx);
  const data = await ctx.app.models.list(credential, callFields(ctx));
  return Response.json({ object: "list", data });
}

/** `GET /v1/models/{id}`: one model, by GigaChat id or MODEL_ALIASES name. */
export async function getModel(request: Request, ctx: RequestContext): Promise<Response> {
  if (isGoogleClient(request)) return await getGeminiModel(request, ctx);
  const credential = await ctx.app.authenticate(request, ctx);
  const id = ctx.params.id;
  ctx.trace.model = id;
  return Response.json(await ctx.app.models.get(id, credential, callFields(ctx)));
}
