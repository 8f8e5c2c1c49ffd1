import type { RequestContext } from "../context.ts";
import { type GatewayError, invalidRequest } from "../errors.ts";
import type { Credential } from "../gigachat/credential.ts";
import { unexpectedAnswer } from "../gigachat/upstream_error.ts";
import { toBatches } from "../mapping/to_embedding_texts.ts";
import type { GigaChatEmbeddings } from "../mapping/to_openai_embeddings.ts";
import { callFields } from "./call_fields.ts";
import { checkModelAllowed } from "./model_allowed.ts";

/** Vector sizes GigaChat's embedders are known to produce (API-more.md §2a). */
const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  "Embeddings": 1024,
  "Embeddings-2": 1024,
  "EmbeddingsGigaR": 2560,
};

/** Upstream calls in flight at once for one request's batches. */
const PARALLEL_BATCHES = 4;

/**
 * GigaChat's embeddings of `texts`, in batches of EMBEDDINGS_BATCH_SIZE, a few at once, in
 * order. Once one batch fails the answer is an error: the others stop instead of spending quota.
 */
export async function embedBatches(
  texts: readonly string[],
  model: { requested: string; upstream: string },
  credential: Credential,
  ctx: RequestContext,
): Promise<GigaChatEmbeddings[]> {
  checkModelAllowed(credential, model.requested);
  const { app } = ctx;
  const batches = toBatches([...texts], app.config.embeddingsBatchSize);
  const answers: GigaChatEmbeddings[] = new Array(batches.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < batches.length && !failed) {
      const i = next++;
      const answer = await app.upstream.requestJson<GigaChatEmbeddings>({
        method: "POST",
        path: "/embeddings",
        json: { model: model.upstream, input: batches[i] },
        credential,
        ...callFields(ctx),
        model,
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
  return answers;
}

/**
 * A size asked for that the model cannot give, known before the call (for the embedders whose
 * size is known) or after it (from the vectors); GigaChat's vectors have one size each.
 */
export function checkDimensions(
  model: string,
  asked: number | null | undefined,
  actual: number | undefined,
  param: string,
): void {
  // An own-property look-up: a model named "constructor" must not find Object.prototype's.
  const size = actual ??
    (Object.hasOwn(KNOWN_DIMENSIONS, model) ? KNOWN_DIMENSIONS[model] : undefined);
  if (!asked || size === undefined || size === asked) return;
  throw wrongDimensions(model, asked, size, param);
}

function wrongDimensions(
  model: string,
  asked: number,
  actual: number,
  param: string,
): GatewayError {
  return invalidRequest(
    `Model ${model} makes ${actual}-dimensional vectors and cannot give ${asked}; ` +
      `leave '${param}' out or set it to ${actual}.`,
    param,
  );
}
