import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { Logger } from "../../../lib/log.ts";
import { GatewayMetrics } from "../../../lib/metrics.ts";
import {
  CredentialPool,
  isPoolExhausted,
  type PoolLease,
  type PoolMember,
} from "../../../lib/pipeline/credential_pool.ts";
import { LocalLedger } from "../../../lib/pipeline/slot_ledger.ts";

const never = new AbortController().signal;

function member(name: string, concurrency: number, models?: string[]): PoolMember {
  return {
    name,
    credential: { key: `key-${name}`, scope: "GIGACHAT_API_PERS", id: `id-${name}`, member: name },
    concurrency,
    models: models === undefined ? undefined : new Set(models),
  };
}

function pool(members: PoolMember[], options: { guarded?: boolean; maxWaiting?: number } = {}) {
  const lines: Record<string, unknown>[] = [];
  const clock = { now: 1_000_000 };
  const metrics = new GatewayMetrics([]);
  const it = new CredentialPool({
    members,
    ledger: new LocalLedger(),
    perModel: false,
    maxWaiting: options.maxWaiting ?? 10,
    timeoutMs: 5_000,
    guarded: options.guarded ?? true,
    retryMs: 60_000,
    metrics,
    log: new Logger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) }),
    now: () => clock.now,
  });
  return { pool: it, lines, clock, metrics };
}

const rateLimited = (retryAfter?: string) =>
  new GatewayError(429, "GigaChat rate limit reached", {
    type: "rate_limit_error",
    code: "rate_limit_exceeded",
    headers: retryAfter === undefined ? undefined : { "Retry-After": retryAfter },
  });
const refused = () =>
  new GatewayError(401, "GigaChat refused the access token", {
    type: "authentication_error",
    code: "invalid_api_key",
  });
const balance = () =>
  new GatewayError(429, "The GigaChat balance of this key is used up", {
    type: "insufficient_quota",
    code: "insufficient_quota",
    retryable: false,
  });

Deno.test("CredentialPool: the least busy member first, each within its cap", async () => {
  const { pool: p, metrics } = pool([member("a", 1), member("b", 1), member("c", 2)]);
  const leases: PoolLease[] = [];
  for (let i = 0; i < 4; i++) leases.push(await p.acquire("GigaChat", never));
  // c (cap 2) holds two, a and b one each; a fifth waits.
  const names = leases.map((lease) => lease.member.name).sort();
  assert.deepEqual(names, ["a", "b", "c", "c"]);
  // Read from the pool when the metrics are.
  assert.match(metrics.render(), /gigachat_gateway_credential_generations\{credential="c"\} 2/);
  const fifth = p.acquire("GigaChat", never);
  let fifthDone = false;
  void fifth.then(() => fifthDone = true);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(fifthDone, false);
  leases.find((lease) => lease.member.name === "b")!.release();
  assert.equal((await fifth).member.name, "b");
  for (const lease of leases) lease.release();
  (await fifth).release();
  assert.equal(metrics.generating.get([]), 0);
  p.close();
});

Deno.test("CredentialPool: credentials without a cap take turns", async () => {
  const { pool: p } = pool([member("a", 0), member("b", 0)]);
  const first = await p.acquire("GigaChat", never);
  const second = await p.acquire("GigaChat", never);
  assert.deepEqual([first.member.name, second.member.name], ["a", "b"]);
  first.release();
  second.release();
  p.close();
});

Deno.test("CredentialPool: a member serves only its models; none serving is a 404", async () => {
  const { pool: p } = pool([member("max", 1, ["GigaChat-2-Max"]), member("any", 1)]);
  const max = await p.acquire("GigaChat-2-Max", never);
  assert.equal(max.member.name, "max");
  const other = await p.acquire("GigaChat", never);
  assert.equal(other.member.name, "any");
  max.release();
  other.release();
  const { pool: only } = pool([member("max", 1, ["GigaChat-2-Max"])]);
  await assert.rejects(only.acquire("GigaChat-2-Pro", never), (error: GatewayError) => {
    assert.equal(error.status, 404);
    assert.equal(error.code, "model_not_found");
    assert.ok(isPoolExhausted(error), "fallbacks may take it");
    return true;
  });
  p.close();
  only.close();
});

Deno.test("CredentialPool: a 429 cools a member down for its Retry-After; the others carry on", async () => {
  const { pool: p, clock, lines, metrics } = pool([member("a", 2), member("b", 2)]);
  p.observe(member("a", 2).credential, rateLimited("7"));
  assert.equal(metrics.credentialState.get(["a", "cooling"]), 1);
  assert.equal(lines.at(-1)?.msg, "GigaChat credential cooling down");
  assert.equal(lines.at(-1)?.for_s, 7);
  const lease = await p.acquire("GigaChat", never);
  assert.equal(lease.member.name, "b");
  assert.equal(p.unavailable("GigaChat"), undefined);
  // Both cooling: a 429 that says when to come back, and fallbacks may take it.
  p.observe(member("b", 2).credential, rateLimited());
  await assert.rejects(p.acquire("GigaChat", never), (error: GatewayError) => {
    assert.equal(error.status, 429);
    assert.equal(error.code, "credentials_busy");
    assert.equal(error.headers["Retry-After"], "1");
    assert.ok(isPoolExhausted(error));
    return true;
  });
  assert.equal(p.unavailable("GigaChat")?.code, "credentials_busy");
  clock.now += 7_001;
  const again = await p.acquire("GigaChat", never);
  assert.equal(again.member.name, "a");
  // An answer puts it back.
  p.observe(member("a", 2).credential, undefined);
  assert.equal(metrics.credentialState.get(["a", "ready"]), 1);
  assert.equal(lines.at(-1)?.msg, "GigaChat credential back");
  lease.release();
  again.release();
  p.close();
});

Deno.test("CredentialPool: a refused member is out with an error line, retried after retryMs", async () => {
  const { pool: p, clock, lines, metrics } = pool([member("a", 1), member("b", 1)]);
  p.observe(member("a", 1).credential, refused());
  const line = lines.find((entry) => entry.msg === "GigaChat credential taken out");
  assert.equal(line?.level, "error");
  assert.equal(line?.credential, "a");
  assert.equal(line?.reason, "refused by GigaChat");
  assert.equal(metrics.credentialFailures.get(["a", "refused"]), 1);
  assert.deepEqual(p.status().map((s) => [s.name, s.state, s.reason]), [
    ["a", "out", "refused"],
    ["b", "ready", undefined],
  ]);
  assert.equal(p.pick().name, "b");
  p.observe(member("b", 1).credential, balance());
  await assert.rejects(p.acquire("GigaChat", never), (error: GatewayError) => {
    assert.equal(error.status, 503);
    assert.equal(error.code, "gateway_misconfigured");
    assert.match(error.message, /your key is fine/);
    return true;
  });
  clock.now += 60_001;
  assert.equal((await p.acquire("GigaChat", never)).member.name, "a");
  p.close();
});

Deno.test("CredentialPool: every balance used up is insufficient_quota", async () => {
  const { pool: p } = pool([member("a", 1), member("b", 1)]);
  p.observe(member("a", 1).credential, balance());
  p.observe(member("b", 1).credential, balance());
  await assert.rejects(p.acquire("GigaChat", never), (error: GatewayError) => {
    assert.equal(error.type, "insufficient_quota");
    assert.equal(error.retryable, false);
    return true;
  });
  p.close();
});

Deno.test("CredentialPool: a single credential is tried whatever happened before", async () => {
  const { pool: p, lines } = pool([member("default", 1)], { guarded: false });
  p.observe(member("default", 1).credential, refused());
  const lease = await p.acquire("GigaChat", never);
  assert.equal(lease.member.name, "default");
  assert.equal(p.switches, false);
  // Its refusal is the caller's to log, once.
  assert.equal(lines.length, 0);
  lease.release();
  p.close();
});

Deno.test("CredentialPool: a freed slot goes to the client holding the fewest", async () => {
  const { pool: p } = pool([member("a", 2)]);
  const first = await p.acquire("GigaChat", never, "busy");
  const second = await p.acquire("GigaChat", never, "busy");
  const order: string[] = [];
  const waits = [
    p.acquire("GigaChat", never, "busy").then((l) => (order.push("busy-3"), l)),
    p.acquire("GigaChat", never, "busy").then((l) => (order.push("busy-4"), l)),
    p.acquire("GigaChat", never, "quiet").then((l) => (order.push("quiet"), l)),
  ];
  // busy still holds one, quiet none: quiet's turn, though busy asked first.
  first.release();
  const quiet = await waits[2];
  assert.deepEqual(order, ["quiet"]);
  second.release();
  const third = await waits[0];
  quiet.release();
  const fourth = await waits[1];
  assert.deepEqual(order, ["quiet", "busy-3", "busy-4"]);
  third.release();
  fourth.release();
  p.close();
});

Deno.test("CredentialPool: a full line, a wait that runs out and a client that leaves", async () => {
  const { pool: p } = pool([member("a", 1)], { maxWaiting: 1 });
  const held = await p.acquire("GigaChat", never);
  const leaving = new AbortController();
  const waiting = p.acquire("GigaChat", leaving.signal);
  await assert.rejects(p.acquire("GigaChat", never), { status: 429, code: "queue_full" });
  leaving.abort();
  await assert.rejects(waiting, { status: 499 });
  held.release();
  // The slot is free again: the client that left took nothing with it.
  (await p.acquire("GigaChat", never)).release();
  p.close();
});

Deno.test("CredentialPool: waiters move to a member that comes back from cooling", async () => {
  const { pool: p, clock } = pool([member("a", 1), member("b", 1)]);
  const held = await p.acquire("GigaChat", never);
  assert.equal(held.member.name, "a");
  p.observe(member("b", 1).credential, rateLimited("1"));
  // b cools, a is busy: the next waits rather than failing.
  const waiting = p.acquire("GigaChat", never);
  clock.now += 1_001;
  // The pool's own timer wakes the line once b's cool-down is over.
  const lease = await waiting;
  assert.equal(lease.member.name, "b");
  lease.release();
  held.release();
  p.close();
});

Deno.test("CredentialPool: a request waiting for a busy model holds up none of its client's others", async () => {
  const lines: Record<string, unknown>[] = [];
  const make = (members: PoolMember[], perModel: boolean) =>
    new CredentialPool({
      members,
      ledger: new LocalLedger(),
      perModel,
      maxWaiting: 10,
      timeoutMs: 2_000,
      guarded: true,
      retryMs: 60_000,
      metrics: new GatewayMetrics([]),
      log: new Logger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) }),
    });
  // One credential, its cap per model: M1 full, M2 free.
  const perModel = make([member("default", 1)], true);
  const held = perModel.acquire("M1", never, "client");
  const queued = perModel.acquire("M1", never, "client");
  const other = await perModel.acquire("M2", never, "client");
  assert.equal(other.member.name, "default");
  other.release();
  (await held).release();
  (await queued).release();
  perModel.close();
  // Two credentials, one model each: a's model full, b's free.
  const split = make([member("a", 1, ["M1"]), member("b", 1, ["M2"])], false);
  const a = await split.acquire("M1", never, "client");
  const waiting = split.acquire("M1", never, "client");
  const b = await split.acquire("M2", never, "client");
  assert.equal(b.member.name, "b");
  a.release();
  (await waiting).release();
  b.release();
  split.close();
});

Deno.test("CredentialPool: GigaChat's Retry-After is believed up to a minute", () => {
  const { pool: p } = pool([member("a", 1), member("b", 1)]);
  p.observe(member("a", 1).credential, rateLimited("31536000"));
  const [a] = p.status();
  assert.equal(a.state, "cooling");
  assert.ok(a.retry_in_s! <= 60, `${a.retry_in_s}`);
  p.close();
});

Deno.test("CredentialPool: an answer sent before a refusal does not put the credential back", () => {
  const { pool: p, clock } = pool([member("a", 1), member("b", 1)]);
  p.observe(member("a", 1).credential, refused());
  p.observe(member("a", 1).credential, undefined);
  assert.equal(p.status()[0].state, "out");
  clock.now += 60_001;
  p.observe(member("a", 1).credential, undefined);
  assert.equal(p.status()[0].state, "ready");
  p.close();
});

Deno.test("CredentialPool: a client that leaves while the shared store is asked gets no slot", async () => {
  let release = 0;
  let answer: (lease: { release(): void } | undefined) => void = () => {};
  const ledger = {
    take: () => new Promise<{ release(): void } | undefined>((resolve) => answer = resolve),
    onFreed: () => {},
    close: () => {},
  };
  const p = new CredentialPool({
    members: [member("a", 1)],
    ledger,
    perModel: false,
    maxWaiting: 10,
    timeoutMs: 1_000,
    guarded: true,
    retryMs: 60_000,
    metrics: new GatewayMetrics([]),
    log: new Logger({ level: "silent" }),
  });
  const leaving = new AbortController();
  const asked = p.acquire("GigaChat", leaving.signal);
  leaving.abort();
  answer({ release: () => release++ });
  await assert.rejects(asked, { status: 499 });
  assert.equal(release, 1, "the slot went straight back");
  p.close();
});
