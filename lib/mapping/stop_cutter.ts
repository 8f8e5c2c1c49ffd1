/**
 * Honours OpenAI's `stop` in the gateway, GigaChat having no such parameter: text is cut before
 * the first stop sequence. In a stream, a tail that could still become a stop sequence is held
 * back until the next piece decides it.
 */
export class StopCutter {
  readonly #stops: readonly string[];
  #held = "";
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  /** The stop sequence the text was cut at, once it was. */
  matched: string | undefined;

  /** Text that may be sent now, and whether a stop sequence was reached. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.#stopped) return { text: "", stopped: true };
    if (this.#stops.length === 0) return { text, stopped: false };
    const buffer = this.#held + text;
    let cut = -1;
    for (const stop of this.#stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        this.matched = stop;
      }
    }
    if (cut >= 0) {
      this.#held = "";
      this.#stopped = true;
      return { text: buffer.slice(0, cut), stopped: true };
    }
    const keep = this.#longestPendingPrefix(buffer);
    this.#held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** What was held back, once the text is known to be complete. */
  flush(): string {
    const rest = this.#held;
    this.#held = "";
    return rest;
  }

  #longestPendingPrefix(buffer: string): number {
    let longest = 0;
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, buffer.length); n > longest; n--) {
        if (buffer.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}

/** Cuts a complete text at the first stop sequence. */
export function cutAtStop(
  text: string,
  stops: readonly string[],
): { text: string; stopped: boolean; sequence?: string } {
  const cutter = new StopCutter(stops);
  const head = cutter.push(text);
  return head.stopped
    ? { ...head, sequence: cutter.matched }
    : { text: head.text + cutter.flush(), stopped: false };
}
