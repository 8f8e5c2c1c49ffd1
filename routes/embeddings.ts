import type { RequestContext } from "../lib/context.ts";
import { invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { checkDimensions, embedBatches } from "../lib/pipeline/embed_batches.ts";
import { toEmbeddingTexts, type TokenDecoder } from "../lib/mapping/to_embedding_texts.ts";
import { toOpenAIEmbeddings } from "../lib/mapping/to_openai_embeddings.ts";
import { parseEmbeddingsRequest } from "../lib/openai/embeddings_request.ts";
import { resolveModel } from "../lib/resolve_model.ts";

let cl100k: Promise<TokenDecoder> | undefined;

/** The cl100k_base decoder, loaded on first use: its tables take a moment to build. */
function tokenDecoder(): Promise<TokenDecoder> {
  cl100k ??= import("js-tiktoken").then(({ getEncoding }) => {
    const encoding = getEncoding("cl100k_base");
    return (ids: number[]) => {
      try {
        return encoding.decode(ids);
      } catch {
        throw invalidRequest("'input' holds token ids that cl100k_base does not know.", "input");
      }
    };
  });
  return cl100k;
}

/** `POST /v1/embeddings`: OpenAI's embeddings over GigaChat's, batched and re-assembled. */
export async function embeddings(request: Request, ctx: RequestContext): Promise<Response> {
  const { app } = ctx;
  const credential = await app.authenticate(request, ctx);
  const body = parseEmbeddingsRequest(
    await readJsonBody(request, app.config.maxBodyBytes, app.bodyDeadlines),
  );
  const requested = body.model || app.config.embeddingsModel;
  const model = resolveModel(requested, app.config.modelAliases);
  ctx.trace.model = requested;
  const input = body.input;
  const hasTokenIds = Array.isArray(input) &&
    input.some((item) => typeof item === "number" || Array.isArray(item));
  const texts = toEmbeddingTexts(input, hasTokenIds ? await tokenDecoder() : unusedDecoder);
  checkDimensions(model, body.dimensions, undefined, "dimensions");
  const answers = await embedBatches(texts, { requested, upstream: model }, credential, ctx);
  checkDimensions(model, body.dimensions, answers[0].data[0]?.embedding.length, "dimensions");
  return Response.json(
    toOpenAIEmbeddings(answers, { model: requested, encoding: body.encoding_format ?? "float" }),
  );
}

const unusedDecoder: TokenDecoder = () => "";
