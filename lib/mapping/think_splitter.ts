/** A piece of answer text split into reasoning and the answer proper. */
export interface SplitText {
  reasoning: string;
  content: string;
}

const OPEN = "<think>";
const CLOSE = "</think>";

/**
 * Splits reasoning sent inline as `<think>…</think>` at the start of an answer
 * (HOSTS-AND-MODELS.md §Reasoning) from the answer itself, one stream piece at a time: a
 * tag cut across pieces is held back until the next piece decides it. Only a leading tag
 * counts (after white space): `<think>` later in an answer is the answer's own text.
 */
export class ThinkSplitter {
  #state: "start" | "thinking" | "after" | "answer" = "start";
  #held = "";

  /** The reasoning and content that may be sent now. */
  push(text: string): SplitText {
    if (this.#state === "answer") return { reasoning: "", content: text };
    if (this.#state === "after") {
      // The answer usually starts on a new line after the tag; that white space is not content.
      const content = text.trimStart();
      if (content !== "") this.#state = "answer";
      return { reasoning: "", content };
    }
    const buffer = this.#held + text;
    this.#held = "";
    if (this.#state === "start") {
      const trimmed = buffer.trimStart();
      if (trimmed.startsWith(OPEN)) {
        this.#state = "thinking";
        return this.push(trimmed.slice(OPEN.length));
      }
      if (OPEN.startsWith(trimmed)) {
        // Only white space or the start of "<think>" so far: wait for more.
        this.#held = buffer;
        return { reasoning: "", content: "" };
      }
      this.#state = "answer";
      return { reasoning: "", content: buffer };
    }
    const close = buffer.indexOf(CLOSE);
    if (close >= 0) {
      this.#state = "after";
      const rest = this.push(buffer.slice(close + CLOSE.length));
      return { reasoning: buffer.slice(0, close), content: rest.content };
    }
    const keep = pendingPrefix(buffer, CLOSE);
    this.#held = buffer.slice(buffer.length - keep);
    return { reasoning: buffer.slice(0, buffer.length - keep), content: "" };
  }

  /** What was held back, once the text is complete (an unclosed tag's text is reasoning). */
  flush(): SplitText {
    const rest = this.#held;
    this.#held = "";
    if (this.#state === "thinking") return { reasoning: rest, content: "" };
    return { reasoning: "", content: rest };
  }
}

/** Splits a complete answer text. */
export function splitThink(text: string): SplitText {
  const splitter = new ThinkSplitter();
  const head = splitter.push(text);
  const tail = splitter.flush();
  return { reasoning: head.reasoning + tail.reasoning, content: head.content + tail.content };
}

/** How many characters at the end of `text` could begin `tag`. */
function pendingPrefix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}
