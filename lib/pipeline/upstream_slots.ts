import { clientClosed, GatewayError } from "../errors.ts";
import type { GatewayMetrics } from "../metrics.ts";

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface UpstreamSlotsOptions {
  /** Slots per key; 0 turns the cap off. */
  concurrency: number;
  /** Most requests waiting per key; one more is refused at once. */
  maxWaiting: number;
  /** Longest wait for a slot. */
  timeoutMs: number;
  metrics: GatewayMetrics;
}

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  refuse: (error: GatewayError) => void;
}

interface Line {
  active: number;
  waiting: Waiter[];
}

const NO_SLOT: ReleaseSlot = () => {};
const FREE: Promise<ReleaseSlot> = Promise.resolve(NO_SLOT);
/** Seconds a refused client is told to wait: about one short answer's time. */
const RETRY_AFTER_S = 2;

/**
 * Caps concurrent upstream generations per key (a credential, or a credential and model):
 * GigaChat limits them per key, and a burst beyond its limit would bounce off it as 429s. Those
 * beyond the cap wait first come, first served, in a bounded line with a wait limit; a full
 * line or a wait that runs out is a 429 with Retry-After. A client that leaves while waiting
 * leaves the line; one that leaves while holding a slot frees it when its request ends.
 */
export class UpstreamSlots {
  readonly #options: UpstreamSlotsOptions;
  readonly #lines = new Map<string, Line>();

  constructor(options: UpstreamSlotsOptions) {
    this.#options = options;
  }

  /** A slot for `key`, at once or after a wait. @throws {GatewayError} 429, or 499 */
  acquire(key: string, signal: AbortSignal): Promise<ReleaseSlot> {
    const { concurrency, maxWaiting, timeoutMs, metrics } = this.#options;
    if (concurrency === 0) return FREE;
    let line = this.#lines.get(key);
    if (line === undefined) {
      line = { active: 0, waiting: [] };
      this.#lines.set(key, line);
    }
    if (line.active < concurrency) {
      line.active++;
      metrics.generating.add([], 1);
      return Promise.resolve(this.#releaser(key, line));
    }
    if (line.waiting.length >= maxWaiting) {
      metrics.queueRejected.add(["full"]);
      return Promise.reject(refused(
        `all ${concurrency} upstream slots are busy and ` +
          `${maxWaiting} requests are already waiting`,
        "queue_full",
      ));
    }
    if (signal.aborted) return Promise.reject(clientClosed(signal.reason));
    const queued = line;
    const since = performance.now();
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const at = queued.waiting.indexOf(waiter);
        if (at >= 0) queued.waiting.splice(at, 1);
        metrics.queued.add([], -1);
        metrics.queueWait.observe([], (performance.now() - since) / 1000);
      };
      const waiter: Waiter = {
        grant: (release) => {
          leave();
          resolve(release);
        },
        refuse: (error) => {
          leave();
          this.#forget(key, queued);
          reject(error);
        },
      };
      const onAbort = () => waiter.refuse(clientClosed(signal.reason));
      const timer = setTimeout(() => {
        metrics.queueRejected.add(["timeout"]);
        waiter.refuse(
          refused(`no upstream slot came free within ${timeoutMs} ms`, "queue_timeout"),
        );
      }, timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      queued.waiting.push(waiter);
      metrics.queued.add([], 1);
    });
  }

  /** Requests holding and waiting for slots of `key`, for tests and the log. */
  load(key: string): { active: number; waiting: number } {
    const line = this.#lines.get(key);
    return { active: line?.active ?? 0, waiting: line?.waiting.length ?? 0 };
  }

  #releaser(key: string, line: Line): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = line.waiting[0];
      // The slot passes straight to the first in line, so no newcomer can take it first.
      if (next !== undefined) return next.grant(this.#releaser(key, line));
      line.active--;
      this.#options.metrics.generating.add([], -1);
      this.#forget(key, line);
    };
  }

  #forget(key: string, line: Line): void {
    if (line.active === 0 && line.waiting.length === 0 && this.#lines.get(key) === line) {
      this.#lines.delete(key);
    }
  }
}

function refused(why: string, code: string): GatewayError {
  return new GatewayError(
    429,
    `Too many concurrent requests for this GigaChat key: ${why}. Retry in ${RETRY_AFTER_S} s, ` +
      "or raise UPSTREAM_CONCURRENCY if the key allows more.",
    {
      type: "rate_limit_error",
      code,
      headers: { "Retry-After": String(RETRY_AFTER_S) },
      retryable: true,
    },
  );
}
