import assert from "node:assert/strict";
import { RequestHistory, type RequestRecord } from "../../lib/request_history.ts";
import { type RedisCommands, SharedRequestHistory } from "../../lib/shared_history.ts";

/** The few commands the shared history sends, over maps; `down` makes every one fail. */
class FakeRedis implements RedisCommands {
  lists = new Map<string, string[]>();
  hashes = new Map<string, Map<string, string>>();
  down = false;
  sent: string[] = [];

  constructor(readonly clock: { now: number }) {}

  command(args: string[]): Promise<unknown> {
    this.sent.push(args[0]);
    if (this.down) return Promise.reject(new Error("connection refused"));
    const [name, key, ...rest] = args;
    const list = this.lists.get(key) ?? [];
    const hash = this.hashes.get(key) ?? new Map<string, string>();
    switch (name) {
      case "RPUSH":
        this.lists.set(key, [...list, ...rest]);
        return Promise.resolve(list.length + rest.length);
      case "LTRIM":
        this.lists.set(key, list.slice(Number(rest[0])));
        return Promise.resolve("OK");
      case "LRANGE":
        return Promise.resolve(list.slice(Number(rest[0])));
      case "HSET":
        this.hashes.set(key, hash.set(rest[0], rest[1]));
        return Promise.resolve(1);
      case "HGETALL":
        return Promise.resolve([...hash].flat());
      case "HDEL":
        for (const field of rest) hash.delete(field);
        return Promise.resolve(rest.length);
      case "PEXPIRE":
        return Promise.resolve(1);
      case "TIME":
        return Promise.resolve([
          String(Math.floor(this.clock.now / 1000)),
          String((this.clock.now % 1000) * 1000),
        ]);
    }
    return Promise.reject(new Error(`unexpected ${name}`));
  }
}

function record(id: string, time: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time,
    request_id: id,
    method: "POST",
    path: "/v1/chat/completions",
    status: 200,
    duration_ms: 1,
    ...extra,
  };
}

function instance(redis: FakeRedis, name: string, clock: { now: number }, load = 0) {
  const local = new RequestHistory(100, () => clock.now, () => ({
    queue_length: load,
    open_streams: load,
    generating: load,
  }));
  const errors: unknown[] = [];
  const shared = new SharedRequestHistory(local, redis, {
    prefix: "gw:",
    instance: name,
    onError: (error) => errors.push(error),
    flushMs: 3_600_000,
  });
  return { shared, errors };
}

/** Runs `body` with instances a, b... (gauges at `loads`) sharing one Redis, then closes them. */
async function withInstances(
  loads: number[],
  body: (world: {
    clock: { now: number };
    redis: FakeRedis;
    at: ReturnType<typeof instance>[];
  }) => Promise<void>,
): Promise<void> {
  const clock = { now: 1_700_000_000_000 };
  const redis = new FakeRedis(clock);
  const at = loads.map((load, i) => instance(redis, "ab"[i], clock, load));
  try {
    await body({ clock, redis, at });
  } finally {
    for (const { shared } of at) await shared.close();
  }
}

Deno.test("SharedRequestHistory: every instance's requests and slices, this one's newest too", () =>
  withInstances([2, 1], async ({ clock, at: [a, b] }) => {
    a.shared.record(record("a1", clock.now, { key_name: "k", tokens_in: 5, queue_ms: 30 }));
    a.shared.record(record("a2", clock.now + 1, { status: 429, error_code: "queue_full" }));
    await a.shared.flush();
    b.shared.record(record("b1", clock.now + 2, { key_name: "k", queue_ms: 90 }));
    // b1 is not written yet: B lists it from memory, A does not see it.
    const fromB = await b.shared.recent({ limit: 10 });
    assert.equal(fromB.scope, "all instances");
    assert.deepEqual(fromB.data.map((r) => r.request_id), ["b1", "a2", "a1"]);
    assert.deepEqual((await a.shared.recent({ limit: 10 })).data.map((r) => r.request_id), [
      "a2",
      "a1",
    ]);
    await b.shared.flush();
    const fromA = await a.shared.recent({ limit: 10, key: "k" });
    assert.deepEqual(fromA.data.map((r) => r.request_id), ["b1", "a1"]);
    assert.equal((await a.shared.recent({ limit: 1 })).data[0].request_id, "b1");

    const live = await a.shared.traffic(1);
    const slice = live.samples.at(-1)!;
    assert.equal(live.scope, "all instances");
    assert.deepEqual([slice.requests, slice.errors, slice.tokens_in], [3, 1, 5]);
    assert.deepEqual(slice.errors_by_code, { queue_full: 1 });
    assert.deepEqual([slice.slotted, slice.queue_wait_ms, slice.queue_wait_ms_max], [2, 120, 90]);
    // Gauges: A's now and B's as written, while fresh.
    assert.deepEqual(live.load, { queue_length: 3, open_streams: 3, generating: 3 });
    clock.now += 60_000;
    assert.deepEqual((await a.shared.traffic(1)).load, {
      queue_length: 2,
      open_streams: 2,
      generating: 2,
    });
  }));

Deno.test("SharedRequestHistory: Redis away, its own traffic, kept for later; odd entries skipped", () =>
  withInstances([0, 0], async ({ clock, redis, at: [a, b] }) => {
    redis.down = true;
    a.shared.record(record("a1", clock.now));
    await assert.rejects(a.shared.flush());
    const alone = await a.shared.recent({ limit: 10 });
    assert.equal(alone.scope, "instance");
    assert.deepEqual(alone.data.map((r) => r.request_id), ["a1"]);
    assert.equal((await a.shared.traffic(1)).scope, "instance");
    redis.down = false;
    // What could not be written then is written now; junk in the shared keys changes nothing.
    redis.lists.set("gw:history:requests", ["{", "42", JSON.stringify({ request_id: 7 })]);
    redis.hashes.set("gw:history:live", new Map([["x", "not json"], ["y", "{}"]]));
    await a.shared.flush();
    assert.deepEqual((await b.shared.recent({ limit: 10 })).data.map((r) => r.request_id), ["a1"]);
    assert.equal((await b.shared.traffic(1)).samples.at(-1)!.requests, 1);
    // An instance silent for longer than the window is forgotten.
    clock.now += 16 * 60_000;
    await b.shared.traffic(1);
    assert.deepEqual([...redis.hashes.get("gw:history:live")!.keys()], ["x", "y"]);
  }));

Deno.test("SharedRequestHistory: the shared list keeps the newest thousand", () =>
  withInstances([0], async ({ clock, redis, at: [a] }) => {
    for (let i = 0; i < 1500; i++) a.shared.record(record(`r${i}`, clock.now + i));
    await a.shared.flush();
    const kept = redis.lists.get("gw:history:requests")!;
    assert.equal(kept.length, 1000);
    assert.equal(JSON.parse(kept.at(-1)!).request_id, "r1499");
    assert.equal((await a.shared.recent({ limit: 1000 })).data.at(-1)!.request_id, "r500");
  }));

Deno.test("SharedRequestHistory: what others wrote is rebuilt from known fields, never a 500", () =>
  withInstances([0], async ({ clock, redis, at: [a] }) => {
    redis.lists.set("gw:history:requests", [
      JSON.stringify({ time: 1e16, request_id: "far", status: 200 }),
      JSON.stringify({
        time: clock.now,
        request_id: "other",
        status: 200,
        model: "m".repeat(5000),
        messages: [{ content: "secret prompt" }],
        authorization: "Bearer sk-live-123",
      }),
    ]);
    redis.hashes.set(
      "gw:history:live",
      new Map([
        ["x", JSON.stringify({ at: clock.now, load: {}, samples: [null, 7, { t: "x" }] })],
        ["y", JSON.stringify({ at: clock.now, load: { open_streams: "9" }, samples: [{ t: 1 }] })],
      ]),
    );
    const listedNow = await a.shared.recent({ limit: 10 });
    assert.deepEqual(listedNow.data.map((r) => r.request_id), ["other"]);
    const text = JSON.stringify(listedNow);
    assert.doesNotMatch(text, /secret prompt|sk-live|messages|authorization/);
    assert.equal(listedNow.data[0].model?.length, 200, "a client's model name is cut");
    const live = await a.shared.traffic(1);
    assert.equal(live.scope, "all instances");
    assert.deepEqual(live.load, { queue_length: 0, open_streams: 0, generating: 0 });
  }));

Deno.test("SharedRequestHistory: a push that failed but happened is listed once", () =>
  withInstances([0], async ({ clock, redis, at: [a] }) => {
    a.shared.record(record("r1", clock.now));
    // Redis took the push but its answer never came (a stall): the gateway pushes it again.
    const command = redis.command.bind(redis);
    redis.command = async (args: string[]) => {
      const answer = await command(args);
      if (args[0] === "RPUSH") throw new Error("no answer within 2000 ms");
      return answer;
    };
    await assert.rejects(a.shared.flush());
    redis.command = command;
    await a.shared.flush();
    assert.equal(redis.lists.get("gw:history:requests")!.length, 2);
    assert.deepEqual((await a.shared.recent({ limit: 10 })).data.map((r) => r.request_id), ["r1"]);
  }));
