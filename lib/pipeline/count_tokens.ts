import type { RequestContext } from "../context.ts";
import type { Credential } from "../gigachat/credential.ts";
import { unexpectedAnswer } from "../gigachat/upstream_error.ts";
import { resolveModel } from "../resolve_model.ts";
import { callFields } from "./call_fields.ts";
import { checkModelAllowed } from "./model_allowed.ts";

/**
 * GigaChat's own count (`POST /tokens/count`) of `texts` for the model asked for, summed: what
 * the dialects' count endpoints answer. It leaves out chat formatting and images, so it is
 * close, not exact.
 */
export async function countTokens(
  texts: readonly string[],
  requested: string,
  credential: Credential,
  ctx: RequestContext,
): Promise<number> {
  checkModelAllowed(credential, requested);
  const present = texts.filter((text) => text !== "");
  if (present.length === 0) return 0;
  const model = resolveModel(requested, ctx.app.config.modelAliases);
  const counted = await ctx.app.upstream.requestJson<unknown>({
    ...callFields(ctx),
    method: "POST",
    path: "/tokens/count",
    json: { model, input: present },
    credential,
    model: { requested, upstream: model },
  });
  if (!Array.isArray(counted)) throw unexpectedAnswer("/tokens/count response");
  return counted.reduce(
    (sum: number, entry) => sum + (typeof entry?.tokens === "number" ? entry.tokens : 0),
    0,
  );
}
