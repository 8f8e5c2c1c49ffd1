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
  /** Slots held per tenant. */
  activeBy: Map<string, number>;
  /** Each waiting tenant's weight: its share of the slots against the others'. */
  weights: Map<string, number>;
  /** Each tenant's waiters, first come first served within it. */
  queues: Map<string, Waiter[]>;
  /** Tenants with waiters, the one served longest ago first. */
  turn: string[];
}

const NO_SLOT: ReleaseSlot = () => {};
const FREE: Promise<ReleaseSlot> = Promise.resolve(NO_SLOT);
/** Seconds a refused client is told to wait: about one short answer's time. */
const RETRY_AFTER_S = 2;

/**
 * Caps concurrent upstream generations per key (a credential, or a credential and model):
 * GigaChat limits them per key, and a burst beyond its limit would bounce off it as 429s. Those
 * beyond the cap wait in a line per tenant (who sent them: a proxy key, a key of the admin API),
 * each bounded by QUEUE_MAX; a freed slot goes to the waiting tenant holding the fewest slots for
 * its weight (the one served longest ago among equals), so one tenant's burst waits behind its own requests,
 * never in front of another's. A full line or a wait that runs out is a 429 with Retry-After. A
 * client that leaves while waiting leaves the line; one that leaves while holding a slot frees it
 * when its request ends.
 */
export class UpstreamSlots {
  readonly #options: UpstreamSlotsOptions;
  readonly #lines = new Map<string, Line>();

  constructor(options: UpstreamSlotsOptions) {
    this.#options = options;
  }

  /**
   * A slot for `key`, at once or after a wait in `tenant`'s line.
   * @throws {GatewayError} 429, or 499
   */
  acquire(key: string, signal: AbortSignal, tenant = "", weight = 1): Promise<ReleaseSlot> {
    const { concurrency, maxWaiting, timeoutMs, metrics } = this.#options;
    if (concurrency === 0) return FREE;
    let line = this.#lines.get(key);
    if (line === undefined) {
      line = { active: 0, activeBy: new Map(), weights: new Map(), queues: new Map(), turn: [] };
      this.#lines.set(key, line);
    }
    if (line.active < concurrency && line.turn.length === 0) {
      return Promise.resolve(this.#take(key, line, tenant));
    }
    const queue = line.queues.get(tenant) ?? [];
    if (queue.length >= maxWaiting) {
      metrics.queueRejected.add(["full"]);
      return Promise.reject(refused(
        `all ${concurrency} upstream slots are busy and ` +
          `${maxWaiting} requests of this client are already waiting`,
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
        const mine = queued.queues.get(tenant) ?? [];
        const at = mine.indexOf(waiter);
        if (at >= 0) mine.splice(at, 1);
        if (mine.length === 0) {
          queued.queues.delete(tenant);
          queued.weights.delete(tenant);
          const turn = queued.turn.indexOf(tenant);
          if (turn >= 0) queued.turn.splice(turn, 1);
        }
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
      if (queue.length === 0) {
        queued.queues.set(tenant, queue);
        queued.turn.push(tenant);
      }
      queued.weights.set(tenant, weight > 0 ? weight : 1);
      queue.push(waiter);
      metrics.queued.add([], 1);
    });
  }

  /** Requests holding and waiting for slots of `key`, for tests and the log. */
  load(key: string): { active: number; waiting: number } {
    const line = this.#lines.get(key);
    let waiting = 0;
    for (const queue of line?.queues.values() ?? []) waiting += queue.length;
    return { active: line?.active ?? 0, waiting };
  }

  #take(key: string, line: Line, tenant: string): ReleaseSlot {
    line.active++;
    line.activeBy.set(tenant, (line.activeBy.get(tenant) ?? 0) + 1);
    this.#options.metrics.generating.add([], 1);
    return this.#releaser(key, line, tenant);
  }

  #releaser(key: string, line: Line, tenant: string): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      line.active--;
      const held = (line.activeBy.get(tenant) ?? 1) - 1;
      if (held === 0) line.activeBy.delete(tenant);
      else line.activeBy.set(tenant, held);
      this.#options.metrics.generating.add([], -1);
      const next = this.#nextTenant(line);
      // The slot passes straight to a waiter, so no newcomer can take it first.
      if (next !== undefined) {
        const waiter = line.queues.get(next)![0];
        // To the back of the turn: the others come first next time.
        line.turn.splice(line.turn.indexOf(next), 1);
        line.turn.push(next);
        return waiter.grant(this.#take(key, line, next));
      }
      this.#forget(key, line);
    };
  }

  /**
   * The waiting tenant holding the fewest slots for its weight; among equals, the one served
   * longest ago.
   */
  #nextTenant(line: Line): string | undefined {
    let best: string | undefined;
    let fewest = Infinity;
    for (const tenant of line.turn) {
      const held = (line.activeBy.get(tenant) ?? 0) / (line.weights.get(tenant) ?? 1);
      if (held < fewest) {
        best = tenant;
        fewest = held;
      }
    }
    return best;
  }

  #forget(key: string, line: Line): void {
    if (line.active === 0 && line.turn.length === 0 && this.#lines.get(key) === line) {
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
