import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { GatewayMetrics } from "../../../lib/metrics.ts";
import { UpstreamSlots } from "../../../lib/pipeline/upstream_slots.ts";

function slots(concurrency: number, maxWaiting = 10, timeoutMs = 1000) {
  const metrics = new GatewayMetrics([]);
  return { metrics, slots: new UpstreamSlots({ concurrency, maxWaiting, timeoutMs, metrics }) };
}

const never = new AbortController().signal;

function status429(code: string) {
  return (error: unknown) =>
    error instanceof GatewayError && error.status === 429 && error.code === code &&
    error.headers["Retry-After"] === "2";
}

Deno.test("UpstreamSlots: first come, first served, a slot passed on at release", async () => {
  const { slots: line, metrics } = slots(2);
  const a = await line.acquire("k", never);
  const b = await line.acquire("k", never);
  const order: string[] = [];
  const c = line.acquire("k", never).then((release) => (order.push("c"), release));
  const d = line.acquire("k", never).then((release) => (order.push("d"), release));
  assert.deepEqual(line.load("k"), { active: 2, waiting: 2 });
  assert.equal(metrics.queued.get([]), 2);
  a();
  a(); // a second call gives nothing back twice
  const releaseC = await c;
  assert.deepEqual(line.load("k"), { active: 2, waiting: 1 });
  b();
  const releaseD = await d;
  assert.deepEqual(order, ["c", "d"]);
  releaseC();
  releaseD();
  assert.deepEqual(line.load("k"), { active: 0, waiting: 0 });
  assert.equal(metrics.generating.get([]), 0);
  assert.equal(metrics.queued.get([]), 0);
});

Deno.test("UpstreamSlots: a full line and a wait that runs out are 429s with Retry-After", async () => {
  const { slots: line, metrics } = slots(1, 1, 30);
  const held = await line.acquire("k", never);
  const waiting = line.acquire("k", never);
  await assert.rejects(line.acquire("k", never), status429("queue_full"));
  await assert.rejects(waiting, status429("queue_timeout"));
  assert.equal(metrics.queueRejected.get(["full"]), 1);
  assert.equal(metrics.queueRejected.get(["timeout"]), 1);
  held();
  assert.deepEqual(line.load("k"), { active: 0, waiting: 0 });
});

Deno.test("UpstreamSlots: a client that leaves the line is gone from it; other keys never wait", async () => {
  const { slots: line } = slots(1);
  const held = await line.acquire("k", never);
  const leaving = new AbortController();
  const waiting = line.acquire("k", leaving.signal);
  leaving.abort();
  await assert.rejects(waiting, (e: unknown) => e instanceof GatewayError && e.status === 499);
  assert.deepEqual(line.load("k"), { active: 1, waiting: 0 });
  const other = await line.acquire("other", never);
  other();
  held();
  assert.deepEqual(line.load("k"), { active: 0, waiting: 0 });
});

Deno.test("UpstreamSlots with concurrency 0 never waits", async () => {
  const { slots: line } = slots(0, 0);
  const releases = await Promise.all(Array.from({ length: 100 }, () => line.acquire("k", never)));
  releases.forEach((release) => release());
  assert.deepEqual(line.load("k"), { active: 0, waiting: 0 });
});

Deno.test("UpstreamSlots: a tenant's burst waits behind itself, never in front of another's", async () => {
  const { slots: line } = slots(2, 3);
  const held = [await line.acquire("k", never, "alice"), await line.acquire("k", never, "alice")];
  const order: string[] = [];
  const wait = (tenant: string, label: string) =>
    line.acquire("k", never, tenant).then((release) => (order.push(label), release));
  const alice = [wait("alice", "a1"), wait("alice", "a2"), wait("alice", "a3")];
  // Alice's own line is full; Bob's is his.
  await assert.rejects(line.acquire("k", never, "alice"), status429("queue_full"));
  const bob = [wait("bob", "b1"), wait("bob", "b2")];
  // Each slot that frees goes to whoever holds the fewest: Bob, until he holds as many.
  held[0]();
  const b1 = await bob[0];
  held[1]();
  const a1 = await alice[0];
  assert.deepEqual(order, ["b1", "a1"]);
  // Alice's a1 done, she holds none and Bob one: her next goes first; then his.
  a1();
  const a2 = await alice[1];
  b1();
  const b2 = await bob[1];
  a2();
  const a3 = await alice[2];
  b2();
  a3();
  assert.deepEqual(order, ["b1", "a1", "a2", "b2", "a3"]);
  assert.deepEqual(line.load("k"), { active: 0, waiting: 0 });
});

Deno.test("UpstreamSlots: weights: a tenant of weight 2 holding 2 counts as one holding 1", async () => {
  for (const [weight, first] of [[1, "b"], [2, "a"]] as const) {
    const { slots: line } = slots(3, 10);
    const a1 = await line.acquire("k", never, "a", weight);
    const a2 = await line.acquire("k", never, "a", weight);
    const b1 = await line.acquire("k", never, "b");
    const order: string[] = [];
    const b = line.acquire("k", never, "b").then((release) => (order.push("b"), release));
    const a = line.acquire("k", never, "a", weight).then((release) => (order.push("a"), release));
    // a frees one: a holds 1 (of weight `weight`), b holds 1. Equal weights: b has waited
    // longer; a's weight of 2 makes its 1 count as half.
    a1();
    const granted = first === "a" ? await a : await b;
    assert.equal(order[0], first, `weight ${weight}`);
    a2();
    (first === "a" ? await b : await a)();
    granted();
    b1();
    assert.deepEqual(line.load("k"), { active: 0, waiting: 0 });
  }
});
