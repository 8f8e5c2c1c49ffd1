// The one state machine that turns the chat pipeline's chunks into an answer's blocks, for every
// dialect that streams blocks (Responses items, Messages content blocks, Gemini parts): which
// block is open, when it closes, what it held, and the finish, stop sequence and usage. Each
// dialect only renders the block events in its own wire format.
import {
  type OpenAIChatCompletionChunk,
  type OpenAIFinishReason,
  type OpenAIImageOutput,
  type OpenAIToolCallDelta,
  type OpenAIUrlCitation,
  type OpenAIUsage,
  STOP_SEQUENCE,
} from "../openai/types.ts";

/** A block that streams as text: the model's reasoning, or its answer. */
export type TextKind = "reasoning" | "text";

/** What happened to the answer's blocks, in order. */
export type BlockEvent =
  | { type: "open"; kind: TextKind }
  | { type: "delta"; kind: TextKind; text: string }
  /** The whole text of the block that closed. */
  | { type: "close"; kind: TextKind; text: string }
  /** Web pages cited: inside the open text block, or standalone (see `citations`). */
  | { type: "citations"; citations: OpenAIUrlCitation[] }
  | { type: "image"; image: OpenAIImageOutput }
  | { type: "tool_call"; call: OpenAIToolCallDelta };

export interface AnswerBlocksOptions {
  /**
   * `in-text`: citations belong to the answer's text block (opened for them if need be), as
   * Responses annotations do; `apart`: they close the open block and stand alone, as
   * Messages' web search blocks do.
   */
  citations: "in-text" | "apart";
}

/**
 * Folds chunks of the first choice into block events. A dialect's answer holds one choice;
 * further ones (n > 1) have no place in it.
 */
export class AnswerBlocks {
  finish: OpenAIFinishReason | undefined;
  /** The stop sequence the answer was cut at, when one was. */
  stopSequence: string | undefined;
  usage: OpenAIUsage | undefined;
  readonly #citations: AnswerBlocksOptions["citations"];
  #open: { kind: TextKind; text: string } | undefined;

  constructor(options: AnswerBlocksOptions) {
    this.#citations = options.citations;
  }

  /** The kind of block open now, if any. */
  get open(): TextKind | undefined {
    return this.#open?.kind;
  }

  /** The events the chunks make. */
  read(chunks: readonly OpenAIChatCompletionChunk[]): BlockEvent[] {
    const out: BlockEvent[] = [];
    for (const chunk of chunks) {
      if (chunk.usage) this.usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue;
        const delta = choice.delta;
        if (delta.reasoning_content) this.#text("reasoning", delta.reasoning_content, out);
        if (delta.content) this.#text("text", delta.content, out);
        if (delta.annotations?.length) {
          if (this.#citations === "in-text") this.#openText("text", out);
          else this.#close(out);
          out.push({ type: "citations", citations: delta.annotations });
        }
        for (const image of delta.images ?? []) {
          this.#close(out);
          out.push({ type: "image", image });
        }
        for (const call of delta.tool_calls ?? []) {
          this.#close(out);
          out.push({ type: "tool_call", call });
        }
        if (choice.finish_reason) this.finish = choice.finish_reason;
        if (choice[STOP_SEQUENCE] !== undefined) this.stopSequence = choice[STOP_SEQUENCE];
      }
    }
    return out;
  }

  /** Closes the open block (at the end of the answer, or when it broke off). */
  end(): BlockEvent[] {
    const out: BlockEvent[] = [];
    this.#close(out);
    return out;
  }

  #text(kind: TextKind, text: string, out: BlockEvent[]): void {
    this.#openText(kind, out);
    (this.#open as { text: string }).text += text;
    out.push({ type: "delta", kind, text });
  }

  #openText(kind: TextKind, out: BlockEvent[]): void {
    if (this.#open?.kind === kind) return;
    this.#close(out);
    this.#open = { kind, text: "" };
    out.push({ type: "open", kind });
  }

  #close(out: BlockEvent[]): void {
    if (this.#open === undefined) return;
    out.push({ type: "close", kind: this.#open.kind, text: this.#open.text });
    this.#open = undefined;
  }
}
