// The two GigaChat chat APIs below the pipeline: v1 `/chat/completions` and v2 (API-more.md
// §9). The pipeline builds a v1 body and reads v1 answers; v2 is a pure translation of both,
// plus the fetch of the images it generates.
import type { Backend, BackendSettings } from "../config.ts";
import { GatewayError } from "../errors.ts";
import type { GigaChatChatRequest, GigaChatCompletion } from "../gigachat/types.ts";
import type { UpstreamCall, UpstreamClient } from "../gigachat/upstream_client.ts";
import { unexpectedAnswer } from "../gigachat/upstream_error.ts";
import type { GigaChatV2Answer } from "../gigachat/v2_types.ts";
import { readLimited } from "../io/read_limited.ts";
import { fromGigaChatV2Answer, v2AnswerProblem } from "../mapping/v2/from_gigachat_v2_answer.ts";
import { v2EventDecoder } from "../mapping/v2/from_gigachat_v2_events.ts";
import { toGigaChatV2Request, type V2HostedTools } from "../mapping/v2/to_gigachat_v2_request.ts";
import type { ChunkDecoder } from "./chunk_stream.ts";

/** Largest generated image the gateway fetches into an answer. */
export const MAX_GENERATED_IMAGE_BYTES = 15 * 1024 * 1024;

/** One chat API: a whole answer, or an open stream with the decoder of its events. */
export interface ChatBackend {
  readonly name: Backend;
  complete(body: GigaChatChatRequest, call: UpstreamCall): Promise<GigaChatCompletion>;
  open(
    body: GigaChatChatRequest,
    call: UpstreamCall,
  ): Promise<{ body: ReadableStream<Uint8Array>; decode?: ChunkDecoder }>;
}

/** The backend for `model` (the upstream name, after aliases): the first rule naming it wins. */
export function backendFor(model: string, settings: BackendSettings): Backend {
  const rule = settings.rules.find((candidate) =>
    candidate.prefix ? model.startsWith(candidate.model) : model === candidate.model
  );
  return rule?.backend ?? settings.default;
}

/** v1: the body as it is, to `/chat/completions`. */
export function v1Backend(upstream: UpstreamClient): ChatBackend {
  return {
    name: "v1",
    async complete({ stream: _stream, ...json }, call) {
      const answer = await upstream.requestJson<GigaChatCompletion>({
        ...call,
        json,
        stream: false,
      });
      if (!Array.isArray(answer?.choices)) throw unexpectedAnswer("chat completion response");
      return answer;
    },
    async open(json, call) {
      const response = await upstream.request({ ...call, json });
      if (response.body === null) throw unexpectedAnswer("chat completion stream");
      return { body: response.body };
    },
  };
}

/** v2: the body translated, to the v2 address; generated images fetched into the answer. */
export function v2Backend(
  upstream: UpstreamClient,
  url: string,
  hosted: V2HostedTools,
): ChatBackend {
  return {
    name: "v2",
    async complete({ stream: _stream, ...body }, call) {
      const answer = await upstream.requestJson<GigaChatV2Answer>({
        ...call,
        url,
        json: toGigaChatV2Request(body, hosted),
        stream: false,
      });
      const problem = Array.isArray(answer?.messages) ? v2AnswerProblem(answer) : "no messages";
      if (problem !== undefined) throw unexpectedAnswer(`v2 chat response (${problem})`);
      const completion = fromGigaChatV2Answer(answer);
      if (completion.choices[0].finish_reason === "error") {
        throw new GatewayError(502, 'GigaChat ended the answer with finish_reason "error".', {
          type: "server_error",
          code: "upstream_error",
        });
      }
      await fetchImages(completion, upstream, call);
      return completion;
    },
    async open(body, call) {
      const response = await upstream.request({
        ...call,
        url,
        json: toGigaChatV2Request(body, hosted),
      });
      if (response.body === null) throw unexpectedAnswer("v2 chat stream");
      return { body: response.body, decode: v2EventDecoder() };
    },
  };
}

/** Each generated image's bytes, from `GET /files/{id}/content` (API-more.md §9, §10). */
async function fetchImages(
  completion: GigaChatCompletion,
  upstream: UpstreamClient,
  call: UpstreamCall,
): Promise<void> {
  for (const file of completion.choices[0].message.files ?? []) {
    if (file.target !== undefined && file.target !== "image") continue;
    let response: Response;
    try {
      response = await upstream.request({
        ...call,
        method: "GET",
        path: `/files/${encodeURIComponent(file.id)}/content`,
        url: undefined,
        json: undefined,
        stream: false,
        accept: "application/jpg",
      });
    } catch (error) {
      // The image is GigaChat's, not the client's: whatever went wrong, it is a bad gateway.
      if (!(error instanceof GatewayError) || error.status === 499) throw error;
      throw new GatewayError(
        502,
        `GigaChat made an image (file ${file.id}) but it could not be fetched: ${error.message}`,
        { type: "server_error", code: "upstream_error", cause: error },
      );
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    const bytes = response.body === null
      ? new Uint8Array()
      : await readLimited(response.body, MAX_GENERATED_IMAGE_BYTES, declared);
    if (bytes === undefined) {
      throw new GatewayError(
        502,
        `GigaChat's generated image ${file.id} is larger than ` +
          `${
            MAX_GENERATED_IMAGE_BYTES / 1024 / 1024
          } MB; fetch it from /v1/files/${file.id}/content.`,
        { type: "server_error", code: "upstream_error" },
      );
    }
    file.data = (bytes as Uint8Array & { toBase64(): string }).toBase64();
    file.mime ??= response.headers.get("content-type")?.split(";")[0] ?? "image/jpeg";
  }
}
