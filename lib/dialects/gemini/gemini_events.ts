import type { GatewayError } from "../../errors.ts";
import type { SseSource } from "../../http/sse_transport.ts";
import type { OpenAIChatCompletionChunk, OpenAIUrlCitation } from "../../openai/types.ts";
import type { ChunkStream } from "../../pipeline/chunk_stream.ts";
import { AnswerBlocks, type BlockEvent } from "../answer_blocks.ts";
import { toGoogleError } from "./google_error.ts";
import {
  type Candidate,
  functionCallPart,
  type GeminiOutputPart,
  type GeminiSetting,
  type GenerateContentResponse,
  imagePart,
  signCalls,
  toFinishReason,
  toGrounding,
  toUsageMetadata,
} from "./to_gemini_response.ts";
import { reasoningToken } from "../responses/reasoning_token.ts";

const encoder = new TextEncoder();

/** How long a stream's error object waits after the last event, to arrive in a read of its own. */
const FAILURE_APART_MS = 100;

/**
 * JSON with U+2028 and U+2029 escaped: @google/genai 1.30 reads each event with a regex whose
 * `.` stops at them, and loses the whole stream at the first one the model writes.
 */
function lineSafe(json: string): string {
  return json.replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
}

/**
 * How a stream is framed: `sse` (`?alt=sse`, what the SDKs ask for) sends each response as one
 * `data:` line; `array` (no `alt`) one JSON array whose items arrive as they are made.
 */
export type GeminiFraming = "sse" | "array";

/**
 * The chat pipeline's chunk stream as streamGenerateContent: each read of the pipeline becomes
 * one GenerateContentResponse holding the parts it made; the last one carries the finish
 * reason, the usage and any grounding. No keep-alive in SSE: @google/genai 1.30's parser stops
 * at any line that is not `data: …`. A failure after the first byte is Google's error object
 * on its own (the form that SDK reads), or the array's last item.
 */
export function geminiEvents(
  stream: ChunkStream,
  setting: GeminiSetting,
  framing: GeminiFraming,
): SseSource {
  const blocks = new AnswerBlocks({ citations: "apart" });
  const citations: OpenAIUrlCitation[] = [];
  let reasoning = "";
  let items = 0;

  const frame = (value: unknown): Uint8Array => {
    const json = lineSafe(JSON.stringify(value));
    if (framing === "sse") return encoder.encode(`data: ${json}\r\n\r\n`);
    return encoder.encode(`${items++ === 0 ? "" : ",\r\n"}${json}`);
  };

  /** The parts the block events make, text of one kind merged into one part. */
  const partsOf = (events: BlockEvent[]): GeminiOutputPart[] => {
    const parts: GeminiOutputPart[] = [];
    for (const event of events) {
      if (event.type === "delta" && event.kind === "reasoning") {
        reasoning += event.text;
        if (!setting.includeThoughts) continue;
        const last = parts.at(-1) as { text?: string; thought?: true } | undefined;
        if (last?.thought === true) last.text += event.text;
        else parts.push({ text: event.text, thought: true });
      } else if (event.type === "delta") {
        const last = parts.at(-1) as { text?: string; thought?: true } | undefined;
        if (last !== undefined && typeof last.text === "string" && last.thought !== true) {
          last.text += event.text;
        } else parts.push({ text: event.text });
      } else if (event.type === "close" && event.kind === "reasoning" && setting.includeThoughts) {
        // The signature goes with the thought's last piece, once its whole text is known.
        parts.push({ text: "", thought: true, thoughtSignature: reasoningToken(event.text) });
      } else if (event.type === "tool_call") {
        const part = functionCallPart({
          id: event.call.id,
          type: "function",
          function: event.call.function,
        });
        parts.push(part);
        signCalls([part], reasoning);
      } else if (event.type === "image") {
        const part = imagePart(event.image);
        if (part !== undefined) parts.push(part);
      } else if (event.type === "citations") {
        citations.push(...event.citations);
      }
    }
    return parts.filter((part) =>
      !("text" in part) || part.text !== "" || "thoughtSignature" in part
    );
  };

  const response = (parts: GeminiOutputPart[], last = false): GenerateContentResponse => {
    const candidate: Candidate = { content: { role: "model", parts }, index: 0 };
    if (last) {
      candidate.finishReason = toFinishReason(blocks.finish);
      if (citations.length > 0) candidate.groundingMetadata = toGrounding(citations);
    }
    return {
      candidates: [candidate],
      ...(last ? { usageMetadata: toUsageMetadata(blocks.usage) } : {}),
      modelVersion: setting.model,
      responseId: setting.responseId,
    };
  };

  const handle = (chunks: OpenAIChatCompletionChunk[]): Uint8Array[] => {
    const parts = partsOf(blocks.read(chunks));
    return parts.length > 0 ? [frame(response(parts))] : [];
  };

  return {
    opening:
      () => [...(framing === "array" ? [encoder.encode("[")] : []), ...handle(stream.opening())],
    next: () => stream.next().then(({ chunks, done }) => ({ bytes: handle(chunks), done })),
    closing: () => {
      const parts = partsOf([...blocks.read(stream.closing()), ...blocks.end()]);
      // The last response always has content: Gemini CLI checks each chunk's parts.
      const out = [frame(response(parts.length > 0 ? parts : [{ text: "" }], true))];
      if (framing === "array") out.push(encoder.encode("]"));
      return out;
    },
    failure: (error: GatewayError) => {
      const { status: _, ...body } = toGoogleError(error);
      const json = lineSafe(JSON.stringify(body));
      if (framing === "sse") return [encoder.encode(json)];
      return [encoder.encode(`${items++ === 0 ? "" : ",\r\n"}${json}]`)];
    },
    keepalive: framing === "array" ? encoder.encode("\n") : null,
    failureApartMs: framing === "sse" ? FAILURE_APART_MS : undefined,
    release: (outcome) => stream.release(outcome),
  };
}
