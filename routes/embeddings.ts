import type { RequestContext } from "../lib/context.ts";
import { GatewayError, invalidRequest } from "../lib/errors.ts";
import { readJsonBody } from "../lib/http/read_json_body.ts";
import { unexpectedAnswer } from "../lib/gigachat/upstream_error.ts";
import { callFields } from "../lib/pipeline/call_fields.ts";
import {
  toBatches,
  toEmbeddingTexts,
  type TokenDecoder,
} from "../lib/mapping/to_embedding_texts.ts";
import {
  type GigaChatEmbeddings,
  toOpenAIEmbeddings,
} from "../lib/mapping/to_openai_embeddings.ts";
import { parseEmbeddingsRequest } from "../lib/openai/embeddings_request.ts";
import { resolveModel } from "../lib/resolve_model.ts";

/** Vector sizes GigaChat's embedders are known to produce (API-more.md §2a). */
const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  "Embeddings": 1024,
  "Embeddings-2": 1024,
  "EmbeddingsGigaR": 2560,
};

/** Upstream calls in flight at once for one request's batches. */
const PARALLEL_BATCHES = 4;

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
  // An own-property look-up: a model named "constructor" must not find Object.prototype's.
  const known = Object.hasOwn(KNOWN_DIMENSIONS, model) ? KNOWN_DIMENSIONS[model] : undefined;
  if (body.dimensions && known !== undefined && body.dimensions !== known) {
    throw wrongDimensions(model, body.dimensions, known);
  }
  const batches = toBatches(texts, app.config.embeddingsBatchSize);
  const answers: GigaChatEmbeddings[] = new Array(batches.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    // Once one batch fails the answer is an error: the others stop instead of spending quota.
    while (next < batches.length && !failed) {
      const i = next++;
      const answer = await app.upstream.requestJson<GigaChatEmbeddings>({
        method: "POST",
        path: "/embeddings",
        json: { model, input: batches[i] },
        credential,
        ...callFields(ctx),
        model: { requested, upstream: model },
      });
      if (!Array.isArray(answer?.data) || answer.data.length !== batches[i].length) {
        throw unexpectedAnswer("embeddings response");
      }
      answers[i] = answer;
    }
  };
  await Promise.all(
    Array.from(
      { length: Math.min(PARALLEL_BATCHES, batches.length) },
      () =>
        worker().catch((error) => {
          failed = true;
          throw error;
        }),
    ),
  );
  const size = answers[0].data[0]?.embedding.length;
  if (body.dimensions && size !== undefined && size !== body.dimensions) {
    throw wrongDimensions(model, body.dimensions, size);
  }
  return Response.json(
    toOpenAIEmbeddings(answers, { model: requested, encoding: body.encoding_format ?? "float" }),
  );
}

const unusedDecoder: TokenDecoder = () => "";

function wrongDimensions(model: string, asked: number, actual: number): GatewayError {
  return invalidRequest(
    `Model ${model} makes ${actual}-dimensional vectors and cannot give ${asked}; ` +
      "leave 'dimensions' out or set it to " + actual + ".",
    "dimensions",
  );
}
