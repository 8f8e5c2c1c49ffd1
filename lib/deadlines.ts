interface Entry {
  readonly at: number;
  onExpire: (() => void) | undefined;
}

/**
 * Deadlines that all fall the same span after they are set, watched by one timer. Because the
 * span is fixed, they expire in the order they were set, so a queue replaces a timer per call
 * (a timer per request was a measurable share of the gateway's CPU under load, bench/README.md).
 */
export class Deadlines {
  readonly #spanMs: number;
  readonly #now: () => number;
  #queue: Entry[] = [];
  #head = 0;
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(spanMs: number, now: () => number = () => performance.now()) {
    this.#spanMs = spanMs;
    this.#now = now;
  }

  /** Calls `onExpire` once the span has passed, unless the returned function is called first. */
  add(onExpire: () => void): () => void {
    const entry: Entry = { at: this.#now() + this.#spanMs, onExpire };
    this.#queue.push(entry);
    this.#live++;
    if (this.#timer === undefined) this.#arm(entry.at);
    return () => {
      if (entry.onExpire === undefined) return;
      // Dropping the callback lets go of whatever it holds long before the entry leaves.
      entry.onExpire = undefined;
      this.#live--;
      if (this.#live === 0) this.#reset();
      else this.#compact();
    };
  }

  /** How many deadlines are still pending. */
  /** How long after being set each deadline falls. */
  get spanMs(): number {
    return this.#spanMs;
  }

  get size(): number {
    return this.#live;
  }

  /** Entries the queue still holds, settled ones included (they are dropped in batches). */
  get held(): number {
    return this.#queue.length;
  }

  #arm(at: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, at - this.#now()));
    Deno.unrefTimer(this.#timer);
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#now();
    const due: (() => void)[] = [];
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head];
      if (entry.onExpire !== undefined && entry.at > now) break;
      this.#head++;
      if (entry.onExpire === undefined) continue;
      due.push(entry.onExpire);
      entry.onExpire = undefined;
      this.#live--;
    }
    // The queue is consistent (and re-armed) before any callback runs or adds a deadline.
    if (this.#live === 0) this.#reset();
    else {
      // Entries before the head are done with; drop them once they are most of the queue.
      if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#arm(this.#queue[this.#head].at);
    }
    for (const onExpire of due) onExpire();
  }

  /** Settled entries wait in the queue until the head passes them; this keeps them few. */
  #compact(): void {
    const waiting = this.#queue.length - this.#head;
    if (waiting < 1024 || waiting < 4 * this.#live) return;
    this.#queue = this.#queue.slice(this.#head).filter((entry) => entry.onExpire !== undefined);
    // The timer stays armed for the old head, which is never later than the new one.
    this.#head = 0;
  }

  #reset(): void {
    // An armed timer is left to fire, find nothing and stop: clearing it and arming a new one
    // for the next request cost ~8% of the CPU per request at one connection (bench:ab). It
    // is never later than a new deadline (the span is fixed), and it keeps no process alive.
    this.#queue = [];
    this.#head = 0;
  }
}
