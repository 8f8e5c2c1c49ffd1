import type {
  OpenAIChatCompletion,
  OpenAIFinishReason,
  OpenAIImageOutput,
  OpenAIToolCall,
  OpenAIUrlCitation,
  OpenAIUsage,
} from "../../openai/types.ts";
import { reasoningToken } from "../responses/reasoning_token.ts";

/** A part of a model turn, as the gateway writes them. */
export type GeminiOutputPart =
  | { text: string; thought?: true; thoughtSignature?: string }
  | {
    functionCall: { id: string; name: string; args: Record<string, unknown> };
    thoughtSignature?: string;
  }
  | { inlineData: { mimeType: string; data: string } };

export interface UsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

/** Web pages an answer cites, as Google grounds a searched answer. */
export interface GroundingMetadata {
  groundingChunks: { web: { uri: string; title: string } }[];
  groundingSupports: {
    segment: { startIndex: number; endIndex: number };
    groundingChunkIndices: number[];
  }[];
}

export interface Candidate {
  content: { role: "model"; parts: GeminiOutputPart[] };
  index: 0;
  finishReason?: string;
  groundingMetadata?: GroundingMetadata;
}

/** Google's GenerateContentResponse, one candidate. */
export interface GenerateContentResponse {
  candidates: Candidate[];
  usageMetadata?: UsageMetadata;
  modelVersion: string;
  responseId: string;
}

/** How the answer is shown: its model name, id, and whether thoughts are wanted. */
export interface GeminiSetting {
  model: string;
  responseId: string;
  includeThoughts: boolean;
}

/**
 * Chat's finish reasons as Google's: a turn that ends in function calls is STOP too (Google has
 * no reason of its own for it), GigaChat's blacklist is SAFETY.
 */
export function toFinishReason(finish: OpenAIFinishReason | null | undefined): string {
  switch (finish) {
    case "length":
      return "MAX_TOKENS";
    case "content_filter":
      return "SAFETY";
    default:
      return "STOP";
  }
}

/** Chat usage as usageMetadata: the thoughts apart from the candidates, as Google counts. */
export function toUsageMetadata(usage: OpenAIUsage | null | undefined): UsageMetadata {
  const prompt = usage?.prompt_tokens ?? 0;
  const completion = usage?.completion_tokens ?? 0;
  const thoughts = usage?.completion_tokens_details?.reasoning_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: Math.max(0, completion - thoughts),
    totalTokenCount: usage?.total_tokens ?? prompt + completion,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
  };
}

/** A tool call as a functionCall part: its id comes back on the functionResponse. */
export function functionCallPart(call: OpenAIToolCall): GeminiOutputPart {
  let args: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(call.function.arguments || "{}");
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) args = parsed;
  } catch {
    args = { arguments: call.function.arguments };
  }
  return { functionCall: { id: call.id, name: call.function.name, args } };
}

/** The reasoning as a thought part; its signature brings it back to GigaChat next turn. */
export function thoughtPart(text: string): GeminiOutputPart {
  return { text, thought: true, thoughtSignature: reasoningToken(text) };
}

/** A generated image (a data URL) as inline data. */
export function imagePart(image: OpenAIImageOutput): GeminiOutputPart | undefined {
  const match = /^data:([^;,]*);base64,(.*)$/s.exec(image.image_url.url);
  return match ? { inlineData: { mimeType: match[1] || "image/jpeg", data: match[2] } } : undefined;
}

/** Cited pages as grounding: each page once, each cited span pointing at its page. */
export function toGrounding(citations: readonly OpenAIUrlCitation[]): GroundingMetadata {
  const chunks: GroundingMetadata["groundingChunks"] = [];
  const supports: GroundingMetadata["groundingSupports"] = [];
  for (const { url_citation: cite } of citations) {
    let at = chunks.findIndex((chunk) => chunk.web.uri === cite.url);
    if (at < 0) at = chunks.push({ web: { uri: cite.url, title: cite.title } }) - 1;
    supports.push({
      segment: { startIndex: cite.start_index, endIndex: cite.end_index },
      groundingChunkIndices: [at],
    });
  }
  return { groundingChunks: chunks, groundingSupports: supports };
}

/**
 * Signs the first function call with the turn's reasoning, as Google signs calls, so a client
 * that drops thought parts from its history (Gemini CLI does) still sends the reasoning back.
 */
export function signCalls(parts: GeminiOutputPart[], reasoning: string): void {
  const call = parts.find((part) => "functionCall" in part);
  if (call !== undefined && reasoning !== "") {
    (call as { thoughtSignature?: string }).thoughtSignature = reasoningToken(reasoning);
  }
}

/** A whole chat completion as a GenerateContentResponse. */
export function toGeminiResponse(
  completion: OpenAIChatCompletion,
  setting: GeminiSetting,
): GenerateContentResponse {
  const choice = completion.choices[0];
  const message = choice?.message;
  const parts: GeminiOutputPart[] = [];
  const reasoning = message?.reasoning_content ?? "";
  if (reasoning !== "" && setting.includeThoughts) parts.push(thoughtPart(reasoning));
  if (message?.content) parts.push({ text: message.content });
  for (const image of message?.images ?? []) {
    const part = imagePart(image);
    if (part !== undefined) parts.push(part);
  }
  for (const call of message?.tool_calls ?? []) parts.push(functionCallPart(call));
  signCalls(parts, reasoning);
  const citations = message?.annotations ?? [];
  return {
    candidates: [{
      content: { role: "model", parts: parts.length > 0 ? parts : [{ text: "" }] },
      finishReason: toFinishReason(choice?.finish_reason),
      index: 0,
      ...(citations.length > 0 ? { groundingMetadata: toGrounding(citations) } : {}),
    }],
    usageMetadata: toUsageMetadata(completion.usage),
    modelVersion: setting.model,
    responseId: setting.responseId,
  };
}
