import assert from "node:assert/strict";
import { GatewayError } from "../../../lib/errors.ts";
import { Logger } from "../../../lib/log.ts";
import { type KeyValue, unavailable } from "../../../lib/pipeline/shared_state.ts";
import { SharedResponseStore, SharedUploadCache } from "../../../lib/pipeline/shared_stores.ts";

/** A KeyValue in a Map that records each set's time to live, and can be switched off. */
function memoryKv() {
  const values = new Map<string, string>();
  const ttls = new Map<string, number>();
  let down = false;
  const guard = () => {
    if (down) throw unavailable(new Error("offline"));
  };
  const kv: KeyValue = {
    get: (key) => Promise.resolve().then(() => (guard(), values.get(key))),
    set: (key, value, ttlMs) =>
      Promise.resolve().then(() => {
        guard();
        values.set(key, value);
        ttls.set(key, ttlMs);
      }),
    delete: (key) => Promise.resolve().then(() => (guard(), values.delete(key))),
    touch: (key, ttlMs) =>
      Promise.resolve().then(() => {
        guard();
        if (values.has(key)) ttls.set(key, ttlMs);
      }),
    command: () => Promise.reject(new Error("not used here")),
    close: () => Promise.resolve(),
  };
  return { kv, values, ttls, setDown: (value: boolean) => down = value };
}

const stored = (id: string, size = 10) => ({
  id,
  response: { output: [], t: "x".repeat(size) },
  input: [],
});

Deno.test("SharedResponseStore: per credential, with the time to live, bounded in size", async () => {
  const { kv, values, ttls } = memoryKv();
  const store = new SharedResponseStore(kv, { maxEntries: 10, maxBytes: 200, ttlMs: 60_000 });
  await store.save("cred-a", stored("resp_1"));
  assert.equal((await store.get("cred-a", "resp_1"))?.id, "resp_1");
  assert.equal(await store.get("cred-b", "resp_1"), undefined, "another credential sees nothing");
  assert.deepEqual([...ttls.values()], [60_000]);
  assert.ok([...values.keys()][0].includes("cred-a"), "the key is scoped by credential id");

  await store.save("cred-a", stored("resp_big", 500));
  assert.equal(await store.get("cred-a", "resp_big"), undefined, "too big is not kept");

  assert.equal(await store.delete("cred-b", "resp_1"), false);
  assert.equal(await store.delete("cred-a", "resp_1"), true);
  assert.equal(await store.get("cred-a", "resp_1"), undefined);

  // Written by something else: as good as absent, never a 500 further on.
  for (const text of ["{not json", "null", "5", '{"response":{}}', '{"id":"resp_x","input":[]}']) {
    values.set("resp2:cred-a:resp_x", text);
    assert.equal(await store.get("cred-a", "resp_x"), undefined, text);
  }
  values.set("resp2:cred-a:resp_y", JSON.stringify(stored("resp_z")));
  assert.equal(await store.get("cred-a", "resp_y"), undefined, "another response's id");
});

Deno.test("SharedResponseStore: RESPONSES_STORE_MAX=0 keeps nothing", async () => {
  const { kv, values } = memoryKv();
  await new SharedResponseStore(kv, { maxEntries: 0, maxBytes: 1000, ttlMs: 1000 })
    .save("c", stored("r"));
  assert.equal(values.size, 0);
});

Deno.test("SharedResponseStore: TTL 0 keeps nothing", async () => {
  const { kv, values } = memoryKv();
  await new SharedResponseStore(kv, { maxEntries: 10, maxBytes: 1000, ttlMs: 0 }).save(
    "c",
    stored("r"),
  );
  assert.equal(values.size, 0);
});

Deno.test("SharedResponseStore: the store down is a 503 saying so", async () => {
  const { kv, setDown } = memoryKv();
  const store = new SharedResponseStore(kv, { maxEntries: 10, maxBytes: 1000, ttlMs: 1000 });
  setDown(true);
  for (const call of [() => store.get("c", "r"), () => store.save("c", stored("r"))]) {
    await assert.rejects(call(), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 503);
      assert.equal(error.code, "shared_store_unavailable");
      return true;
    });
  }
});

Deno.test("SharedUploadCache: remembers file ids; while the store is down it only misses", async () => {
  const { kv, ttls, setDown } = memoryKv();
  const lines: string[] = [];
  const cache = new SharedUploadCache(
    kv,
    new Logger({ level: "info", sink: (line) => lines.push(line) }),
  );
  await cache.set("cred:abc", "file-1", 5000);
  assert.equal(await cache.get("cred:abc"), "file-1");
  assert.deepEqual([...ttls.values()], [5000]);
  setDown(true);
  assert.equal(await cache.get("cred:abc"), undefined);
  await cache.set("cred:def", "file-2", 5000);
  assert.equal(lines.length, 2, "each miss is logged");
  setDown(false);
  assert.equal(await cache.get("cred:def"), undefined, "not remembered while down");
});

Deno.test("SharedResponseStore: chain links under their own key; older whole entries still read", async () => {
  const { kv, values, ttls } = memoryKv();
  const store = new SharedResponseStore(kv, { maxEntries: 10, maxBytes: 10_000, ttlMs: 60_000 });
  await store.save("cred-a", stored("resp_1"));
  assert.deepEqual([...values.keys()], ["resp2:cred-a:resp_1"]);
  // What a build before chains wrote (whole history in `input`) is still found.
  values.set("resp:cred-a:resp_old", JSON.stringify({ ...stored("resp_old"), ownFrom: 0 }));
  assert.equal((await store.get("cred-a", "resp_old"))?.id, "resp_old");
  assert.equal(await store.delete("cred-a", "resp_old"), true);
  assert.equal(values.has("resp:cred-a:resp_old"), false);
  // A conversation read lives on: every link gets a new time to live.
  ttls.set("resp2:cred-a:resp_1", 5);
  await store.touch("cred-a", ["resp_1"]);
  assert.equal(ttls.get("resp2:cred-a:resp_1"), 60_000);
});
