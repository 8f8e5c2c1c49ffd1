import { clientClosed, GatewayError } from "../errors.ts";
import type { Credential } from "../gigachat/credential.ts";
import type { Logger } from "../log.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { SlotLease, SlotLedger } from "./slot_ledger.ts";

/** One GigaChat credential of the server's pool. */
export interface PoolMember {
  readonly name: string;
  /** Its key, scope, way of authenticating and connections (no owner or tenant). */
  readonly credential: Credential;
  /** Concurrent generations it may run; 0: no cap. */
  readonly concurrency: number;
  /** The models it serves (GigaChat's names); undefined: every one. */
  readonly models: ReadonlySet<string> | undefined;
}

/** A slot of one member for one generation. */
export interface PoolLease {
  readonly member: PoolMember;
  /** Gives the slot back; calling it again does nothing. */
  release(): void;
}

/** Why a member is not used: GigaChat's 429, its refusal (401, 403), or a used-up balance. */
export type MemberTrouble = "rate_limited" | "refused" | "balance";

/** A member's state as `/ready`, `/metrics` and the log show it. */
export interface MemberStatus {
  name: string;
  state: "ready" | "cooling" | "out";
  reason?: MemberTrouble;
  active: number;
  concurrency: number;
  /** Seconds until it is tried again (cooling or out). */
  retry_in_s?: number;
}

export interface CredentialPoolOptions {
  members: readonly PoolMember[];
  ledger: SlotLedger;
  /** UPSTREAM_CONCURRENCY_PER_MODEL: each member's cap holds per model. */
  perModel: boolean;
  /** Most requests waiting per client; one more is refused at once. */
  maxWaiting: number;
  /** Longest wait for a slot. */
  timeoutMs: number;
  /**
   * Whether members cooling down or taken out are passed over (GIGACHAT_POOL). A single
   * credential has nothing to pass to: it is tried whatever happened before.
   */
  guarded: boolean;
  /** How long a refused member stays out before it is tried again (POOL_RETRY_MS). */
  retryMs: number;
  metrics: GatewayMetrics;
  log: Logger;
  now?: () => number;
}

interface Health {
  state: "ready" | "cooling" | "out";
  until: number;
  reason?: MemberTrouble;
  /** Failures in a row: the backoff of a 429 without Retry-After grows with them. */
  strikes: number;
}

interface Waiter {
  readonly model: string;
  readonly pinned: string | undefined;
  grant: (lease: PoolLease) => void;
  refuse: (error: GatewayError) => void;
}

/** `client`'s credential (its owner and tenant) sending through `member`'s key and connections. */
export function asMember(client: Credential, member: PoolMember): Credential {
  return { ...client, ...member.credential };
}

/**
 * `client` sending through the member named `name` (the one a file was made with), when the
 * pool holds it; `client` as it is otherwise.
 */
export function throughMember(
  pool: CredentialPool | undefined,
  client: Credential,
  name: string | undefined,
): Credential {
  const member = name === undefined ? undefined : pool?.member(name);
  return member === undefined ? client : asMember(client, member);
}

/** Seconds a client refused by a full line is told to wait: about one short answer's time. */
const RETRY_AFTER_S = 2;
/** The longest cool-down a 429 without Retry-After earns. */
const MAX_COOLDOWN_MS = 60_000;
/** Most model names whose serving members are remembered (clients can send any name). */
const SERVING_CACHE_MAX = 1_000;
const STATES = ["ready", "cooling", "out"] as const;

/** Errors that mean no credential could take a model now: MODEL_FALLBACKS may. */
const EXHAUSTED = new WeakSet<GatewayError>();

/** Whether `error` says no credential of the pool could take the model. */
export function isPoolExhausted(error: unknown): boolean {
  return error instanceof GatewayError && EXHAUSTED.has(error);
}

/**
 * The server's GigaChat credentials, and the slots of each for chat generations. A generation
 * gets a member that serves its model and has a free slot, the least busy first; when none has
 * one it waits in a line per client (proxy key or tenant): a freed slot goes to the waiting
 * client holding the fewest slots for its weight, so one client's burst waits behind itself.
 * A member GigaChat answers 429 cools down for its Retry-After (or a growing backoff); one it
 * refuses (401, 403) or whose balance is used up (402) is taken out, with an error in the log,
 * and tried again after `retryMs`. Only when every member serving a model is cooling or out is
 * a request refused, with why.
 */
export class CredentialPool {
  readonly #o: CredentialPoolOptions;
  readonly #now: () => number;
  readonly #byId = new Map<string, PoolMember>();
  readonly #byName = new Map<string, PoolMember>();
  readonly #health = new Map<PoolMember, Health>();
  readonly #active = new Map<PoolMember, number>();
  readonly #uncapped = new Map<PoolMember, PoolLease>();
  readonly #serving = new Map<string, PoolMember[]>();
  readonly #queues = new Map<string, Waiter[]>();
  readonly #weights = new Map<string, number>();
  readonly #heldBy = new Map<string, number>();
  /** Clients with waiters, the one served longest ago first. */
  readonly #turn: string[] = [];
  /** Each member's wake-up for when it may be tried again. */
  readonly #timers = new Map<PoolMember, ReturnType<typeof setTimeout>>();
  #waiting = 0;
  #pumping = false;
  #pumpAgain = false;

  constructor(options: CredentialPoolOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    for (const member of options.members) {
      this.#byId.set(member.credential.id, member);
      this.#byName.set(member.name, member);
      this.#health.set(member, { state: "ready", until: 0, strikes: 0 });
      this.#active.set(member, 0);
      if (options.members.length === 1) this.#uncapped.set(member, { member, release: () => {} });
      this.#showState(member, "ready");
    }
    options.ledger.onFreed(() => this.#pump());
    // Read when the metrics are, not counted on every request.
    options.metrics.beforeRender(() => {
      for (const member of options.members) {
        options.metrics.credentialGenerations.set([member.name], this.#active.get(member)!);
      }
    });
  }

  /** How many credentials it holds. */
  get size(): number {
    return this.#o.members.length;
  }

  /** Whether a call refused by one member may go to another (GIGACHAT_POOL of two or more). */
  get switches(): boolean {
    return this.#o.guarded && this.#o.members.length > 1;
  }

  /** The member named `name`, if there is one. */
  member(name: string): PoolMember | undefined {
    return this.#byName.get(name);
  }

  /** The members that may be asked now (file lists ask each): none cooling down or out. */
  usableMembers(): PoolMember[] {
    if (!this.#o.guarded) return [...this.#o.members];
    const now = this.#now();
    return this.#o.members.filter((member) => this.#usable(member, now));
  }

  /**
   * The least busy member that may be used now, for calls that hold no slot (models,
   * embeddings, files). @throws {GatewayError} when none may.
   */
  pick(): PoolMember {
    return this.#leastBusy(this.#candidates(undefined, undefined));
  }

  /**
   * A slot for a generation with `model`, at once or after a wait in `client`'s line; `pinned`
   * names the member it must be (its files are there).
   * @throws {GatewayError} 429 (line full, wait ran out, all cooling), 499, or why no member can.
   */
  acquire(
    model: string,
    signal: AbortSignal,
    client = "",
    weight = 1,
    pinned?: string,
  ): Promise<PoolLease> {
    let candidates: PoolMember[];
    try {
      candidates = this.#candidates(model, pinned);
    } catch (error) {
      return Promise.reject(error);
    }
    // With others waiting, the line decides (a waiter the same slots could serve comes first).
    if (this.#waiting > 0) return this.#wait(model, pinned, signal, client, weight);
    const taken = this.#take(candidates, model, client);
    if (!(taken instanceof Promise)) {
      return taken === undefined
        ? this.#wait(model, pinned, signal, client, weight)
        : Promise.resolve(taken);
    }
    return taken.then((lease) => {
      if (lease === undefined) return this.#wait(model, pinned, signal, client, weight);
      // The client left while the shared store was asked: the slot goes straight back.
      if (signal.aborted) {
        lease.release();
        throw clientClosed(signal.reason);
      }
      return lease;
    });
  }

  /** Notes how a call for `credential` ended (UpstreamClient's `onOutcome`). */
  observe(credential: Credential, failure: GatewayError | undefined): void {
    const member = this.#byId.get(credential.id);
    if (member === undefined) return;
    const health = this.#health.get(member)!;
    if (failure === undefined) {
      // An answer to a call sent before a 429 or a refusal says nothing: only one once it may be
      // tried again puts it back.
      if (health.state === "ready" ? health.strikes > 0 : health.until <= this.#now()) {
        this.#recover(member, health);
      }
      return;
    }
    const trouble = troubleOf(failure);
    if (trouble === undefined) return;
    health.strikes++;
    this.#o.metrics.credentialFailures.add([member.name, trouble]);
    const now = this.#now();
    if (trouble === "rate_limited") {
      const retryAfter = Number(failure.headers?.["Retry-After"]);
      const ms = Math.min(
        Number.isFinite(retryAfter) && retryAfter > 0
          ? retryAfter * 1000
          : 1000 * 2 ** Math.min(health.strikes - 1, 16),
        MAX_COOLDOWN_MS,
      );
      this.#set(member, health, "cooling", now + ms, trouble);
      if (this.#o.guarded) {
        this.#o.log.warn("GigaChat credential cooling down", {
          credential: member.name,
          for_s: Math.ceil(ms / 1000),
        });
      }
      return;
    }
    this.#set(member, health, "out", now + this.#o.retryMs, trouble);
    if (this.#o.guarded) {
      this.#o.log.error("GigaChat credential taken out", {
        credential: member.name,
        reason: trouble === "balance" ? "balance used up" : "refused by GigaChat",
        error: failure.message,
        retry_in_s: Math.ceil(this.#o.retryMs / 1000),
      });
    }
  }

  /**
   * Why no member can take `model` (any model when undefined) now, or undefined when one can:
   * after one failed, whether another may be tried.
   */
  unavailable(model: string | undefined, pinned?: string): GatewayError | undefined {
    try {
      this.#candidates(model, pinned);
      return undefined;
    } catch (error) {
      return error as GatewayError;
    }
  }

  /** Each member's state, for `/ready` and the console. */
  status(): MemberStatus[] {
    const now = this.#now();
    return this.#o.members.map((member) => {
      const health = this.#health.get(member)!;
      const status: MemberStatus = {
        name: member.name,
        state: health.state,
        active: this.#active.get(member)!,
        concurrency: member.concurrency,
      };
      if (health.state !== "ready") {
        status.reason = health.reason;
        status.retry_in_s = Math.max(0, Math.ceil((health.until - now) / 1000));
      }
      return status;
    });
  }

  /** Stops its timers (shutdown, tests). */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Members serving `model` (`pinned` only, when set) that may be used now. */
  #candidates(model: string | undefined, pinned: string | undefined): PoolMember[] {
    const serving = this.#servingOf(model, pinned);
    if (!this.#o.guarded) return serving;
    const now = this.#now();
    let usable = serving;
    for (const member of serving) {
      if (!this.#usable(member, now)) {
        usable = serving.filter((m) => this.#usable(m, now));
        break;
      }
    }
    if (usable.length === 0) throw this.#exhausted(model, serving, now);
    return usable;
  }

  #servingOf(model: string | undefined, pinned: string | undefined): PoolMember[] {
    if (pinned !== undefined) {
      const member = this.#byName.get(pinned);
      if (member === undefined) throw noMemberServes(undefined, pinned);
      if (model !== undefined && !serves(member, model)) throw noMemberServes(model, pinned);
      return [member];
    }
    if (model === undefined) return this.#o.members as PoolMember[];
    let serving = this.#serving.get(model);
    if (serving === undefined) {
      serving = this.#o.members.filter((member) => serves(member, model));
      if (serving.length === 0) throw noMemberServes(model, undefined);
      if (this.#serving.size >= SERVING_CACHE_MAX) this.#serving.clear();
      this.#serving.set(model, serving);
    }
    return serving;
  }

  #usable(member: PoolMember, now: number): boolean {
    const health = this.#health.get(member)!;
    return health.state === "ready" || health.until <= now;
  }

  /**
   * Its share of its cap in use; without a cap, a sliver per generation, so uncapped ones come
   * first and take turns.
   */
  #load(member: PoolMember): number {
    const active = this.#active.get(member)!;
    return member.concurrency === 0 ? active / 1_000_000 : active / member.concurrency;
  }

  #leastBusy(members: PoolMember[]): PoolMember {
    let best = members[0];
    for (let i = 1; i < members.length; i++) {
      if (this.#load(members[i]) < this.#load(best)) best = members[i];
    }
    return best;
  }

  /**
   * A slot of the least busy candidate that has one: at once in memory, later from Redis. The
   * least busy one is tried first without sorting (it usually has a slot); the rest in order.
   */
  #take(
    candidates: PoolMember[],
    model: string,
    client: string,
  ): PoolLease | undefined | Promise<PoolLease | undefined> {
    const first = this.#leastBusy(candidates);
    const taken = this.#takeOne(first, model, client);
    if (candidates.length === 1) return taken;
    const rest = () => {
      const order = candidates.filter((member) => member !== first)
        .sort((a, b) => this.#load(a) - this.#load(b));
      return this.#takeFirst(order, model, client);
    };
    if (taken instanceof Promise) return taken.then((lease) => lease ?? rest());
    return taken ?? rest();
  }

  /** A slot of `member`, if it has one free. */
  #takeOne(
    member: PoolMember,
    model: string,
    client: string,
  ): PoolLease | undefined | Promise<PoolLease | undefined> {
    if (member.concurrency === 0) {
      // The one credential without a cap: nothing to count (its lease is made once).
      const free = this.#uncapped.get(member);
      if (free !== undefined) return free;
      return this.#lease(member, undefined, client);
    }
    const slot = this.#o.ledger.take(this.#slotKey(member, model), member.concurrency);
    if (slot instanceof Promise) {
      return slot.then((held) =>
        held === undefined ? undefined : this.#lease(member, held, client)
      );
    }
    return slot === undefined ? undefined : this.#lease(member, slot, client);
  }

  /** A slot of the first of `order` that has one. */
  #takeFirst(
    order: PoolMember[],
    model: string,
    client: string,
    start = 0,
  ): PoolLease | undefined | Promise<PoolLease | undefined> {
    for (let i = start; i < order.length; i++) {
      const taken = this.#takeOne(order[i], model, client);
      if (taken instanceof Promise) {
        return taken.then((lease) => lease ?? this.#takeFirst(order, model, client, i + 1));
      }
      if (taken !== undefined) return taken;
    }
    return undefined;
  }

  /**
   * The account's slots (its credential's hash, not its name: renaming an entry or another
   * gateway on the same Redis must not split or merge an account's cap).
   */
  #slotKey(member: PoolMember, model: string): string {
    const id = member.credential.id;
    return this.#o.perModel ? `${id}\u0000${model}` : id;
  }

  #lease(member: PoolMember, slot: SlotLease | undefined, client: string): PoolLease {
    const { metrics } = this.#o;
    this.#active.set(member, this.#active.get(member)! + 1);
    this.#heldBy.set(client, (this.#heldBy.get(client) ?? 0) + 1);
    metrics.generating.add([], 1);
    let released = false;
    return {
      member,
      release: () => {
        if (released) return;
        released = true;
        slot?.release();
        this.#active.set(member, this.#active.get(member)! - 1);
        const held = (this.#heldBy.get(client) ?? 1) - 1;
        if (held === 0) this.#heldBy.delete(client);
        else this.#heldBy.set(client, held);
        metrics.generating.add([], -1);
        if (this.#waiting > 0) this.#pump();
      },
    };
  }

  #wait(
    model: string,
    pinned: string | undefined,
    signal: AbortSignal,
    client: string,
    weight: number,
  ): Promise<PoolLease> {
    const { maxWaiting, timeoutMs, metrics } = this.#o;
    const queue = this.#queues.get(client) ?? [];
    if (queue.length >= maxWaiting) {
      metrics.queueRejected.add(["full"]);
      return Promise.reject(busy(
        `every GigaChat slot for ${model} is taken and ${maxWaiting} requests of this client ` +
          "are already waiting",
        "queue_full",
      ));
    }
    if (signal.aborted) return Promise.reject(clientClosed(signal.reason));
    const since = performance.now();
    return new Promise<PoolLease>((resolve, reject) => {
      let settled = false;
      const leave = () => {
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const mine = this.#queues.get(client) ?? [];
        const at = mine.indexOf(waiter);
        if (at >= 0) mine.splice(at, 1);
        if (mine.length === 0) {
          this.#queues.delete(client);
          this.#weights.delete(client);
          const turn = this.#turn.indexOf(client);
          if (turn >= 0) this.#turn.splice(turn, 1);
        }
        this.#waiting--;
        metrics.queued.add([], -1);
        metrics.queueWait.observe([], (performance.now() - since) / 1000);
      };
      const waiter: Waiter = {
        model,
        pinned,
        grant: (lease) => {
          // A client that left while the slot was being fetched gives it straight back.
          if (settled) return lease.release();
          leave();
          resolve(lease);
        },
        refuse: (error) => {
          if (settled) return;
          leave();
          reject(error);
        },
      };
      const onAbort = () => waiter.refuse(clientClosed(signal.reason));
      const timer = setTimeout(() => {
        metrics.queueRejected.add(["timeout"]);
        waiter.refuse(busy(`no GigaChat slot came free within ${timeoutMs} ms`, "queue_timeout"));
      }, timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      if (queue.length === 0) {
        this.#queues.set(client, queue);
        this.#turn.push(client);
      }
      this.#weights.set(client, weight > 0 ? weight : 1);
      queue.push(waiter);
      this.#waiting++;
      metrics.queued.add([], 1);
      // A slot freed while this request was finding none (Redis answers later) is not missed.
      this.#pump();
    });
  }

  /**
   * Gives free slots to waiters, fairest client first, until none can be given. One pass at
   * a time; a call during a pass runs another after it.
   */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    this.#drainLine().catch((error) =>
      this.#o.log.error("pool line stalled", { error: String(error) })
    ).finally(() => {
      this.#pumping = false;
      if (this.#pumpAgain && this.#waiting > 0) this.#pump();
    });
  }

  async #drainLine(): Promise<void> {
    do {
      this.#pumpAgain = false;
      let progress = true;
      while (progress && this.#waiting > 0) {
        progress = false;
        // Slots found taken in this pass are not asked for again by the next waiter.
        const full = new Set<string>();
        for (const client of this.#clientsByShare()) {
          if (await this.#serveOne(client, full)) {
            progress = true;
            break;
          }
        }
      }
    } while (this.#pumpAgain && this.#waiting > 0);
  }

  /**
   * Serves the first of `client`'s waiters that a free slot can take (one waiting for a busy
   * model or credential holds up none of its others), or refuses one no credential can take
   * any more; false when it did neither.
   */
  async #serveOne(client: string, full: Set<string>): Promise<boolean> {
    for (const waiter of [...this.#queues.get(client) ?? []]) {
      let candidates: PoolMember[];
      try {
        candidates = this.#candidates(waiter.model, waiter.pinned);
      } catch (error) {
        waiter.refuse(error as GatewayError);
        return true;
      }
      const open = candidates.filter((m) => !full.has(this.#slotKey(m, waiter.model)))
        .sort((a, b) => this.#load(a) - this.#load(b));
      for (const member of open) {
        const taken = this.#takeOne(member, waiter.model, client);
        const lease = taken instanceof Promise ? await taken : taken;
        if (lease !== undefined) {
          this.#served(client, waiter, lease);
          return true;
        }
        full.add(this.#slotKey(member, waiter.model));
      }
    }
    return false;
  }

  #served(client: string, waiter: Waiter, lease: PoolLease): void {
    // To the back of the turn: the others come first next time.
    const at = this.#turn.indexOf(client);
    if (at >= 0) {
      this.#turn.splice(at, 1);
      this.#turn.push(client);
    }
    waiter.grant(lease);
  }

  /** Waiting clients, the one holding the fewest slots for its weight first. */
  #clientsByShare(): string[] {
    const share = (client: string) =>
      (this.#heldBy.get(client) ?? 0) / (this.#weights.get(client) ?? 1);
    // Stable: among equals, the one served longest ago first.
    return [...this.#turn].sort((a, b) => share(a) - share(b));
  }

  #recover(member: PoolMember, health: Health): void {
    const was = health.state;
    health.strikes = 0;
    if (was === "ready") return;
    this.#set(member, health, "ready", 0, undefined);
    if (this.#o.guarded) this.#o.log.info("GigaChat credential back", { credential: member.name });
  }

  #set(
    member: PoolMember,
    health: Health,
    state: Health["state"],
    until: number,
    reason: MemberTrouble | undefined,
  ): void {
    health.state = state;
    health.until = until;
    health.reason = reason;
    this.#showState(member, state);
    clearTimeout(this.#timers.get(member));
    this.#timers.delete(member);
    if (state !== "ready" && this.#o.guarded) {
      // Waiters for this member go on once it may be tried again.
      const timer = setTimeout(() => {
        this.#timers.delete(member);
        if (this.#waiting > 0) this.#pump();
      }, Math.max(0, until - this.#now()) + 5);
      this.#timers.set(member, timer);
    }
  }

  #showState(member: PoolMember, state: Health["state"]): void {
    for (const each of STATES) {
      this.#o.metrics.credentialState.set([member.name, each], each === state ? 1 : 0);
    }
  }

  /** Why no member serving `model` can take it now. */
  #exhausted(model: string | undefined, serving: PoolMember[], now: number): GatewayError {
    const what = model === undefined ? "this request" : model;
    const cooling = serving.filter((m) => this.#health.get(m)!.state === "cooling");
    let error: GatewayError;
    if (cooling.length > 0) {
      const soonest = Math.min(...cooling.map((m) => this.#health.get(m)!.until));
      const seconds = Math.max(1, Math.ceil((soonest - now) / 1000));
      error = new GatewayError(
        429,
        `Every GigaChat credential of the gateway for ${what} is cooling down after GigaChat's ` +
          `rate limit. Retry in ${seconds} s.`,
        {
          type: "rate_limit_error",
          code: "credentials_busy",
          headers: { "Retry-After": String(seconds) },
          retryable: true,
        },
      );
    } else if (serving.every((m) => this.#health.get(m)!.reason === "balance")) {
      error = new GatewayError(
        429,
        `The GigaChat balance of every credential of the gateway for ${what} is used up. The ` +
          "gateway's operator must top it up.",
        { type: "insufficient_quota", code: "insufficient_quota", retryable: false },
      );
    } else {
      error = new GatewayError(
        503,
        `GigaChat refused every credential of the gateway for ${what} (or their balance is ` +
          "used up); your key is fine. The gateway's operator must fix them (see its log).",
        { type: "server_error", code: "gateway_misconfigured", retryable: false },
      );
    }
    EXHAUSTED.add(error);
    return error;
  }
}

function serves(member: PoolMember, model: string): boolean {
  return member.models === undefined || member.models.has(model);
}

/** Whether `error` is GigaChat limiting or refusing a credential (not the request). */
export function isCredentialTrouble(error: unknown): boolean {
  return error instanceof GatewayError && troubleOf(error) !== undefined;
}

/** What a failed call says about its credential, if anything. */
function troubleOf(failure: GatewayError): MemberTrouble | undefined {
  if (failure.type === "insufficient_quota") return "balance";
  if (failure.status === 401 && failure.type === "authentication_error") return "refused";
  if (failure.status === 403 && failure.type === "permission_error") return "refused";
  if (failure.status === 429 && failure.type === "rate_limit_error") return "rate_limited";
  return undefined;
}

function noMemberServes(model: string | undefined, pinned: string | undefined): GatewayError {
  const error = pinned === undefined
    ? new GatewayError(
      404,
      `No GigaChat credential of the gateway serves the model ${model} (GIGACHAT_POOL names ` +
        "the models of each).",
      { type: "invalid_request_error", code: "model_not_found", param: "model" },
    )
    : new GatewayError(
      400,
      `The files of this request belong to a GigaChat credential that ${
        model === undefined ? "the gateway no longer holds" : `does not serve the model ${model}`
      }.`,
      { type: "invalid_request_error", code: "file_credential_mismatch" },
    );
  EXHAUSTED.add(error);
  return error;
}

function busy(why: string, code: string): GatewayError {
  return new GatewayError(
    429,
    `Too many concurrent requests for the gateway's GigaChat credentials: ${why}. Retry in ` +
      `${RETRY_AFTER_S} s.`,
    {
      type: "rate_limit_error",
      code,
      headers: { "Retry-After": String(RETRY_AFTER_S) },
      retryable: true,
    },
  );
}
