import assert from "node:assert/strict";
import { MemoryResponseStore } from "../../../lib/pipeline/response_store.ts";

function stored(id: string, size = 10) {
  return { id, response: { text: "x".repeat(size) }, input: [] };
}

Deno.test("MemoryResponseStore keeps responses per credential, bounded in count, bytes and time", async (t) => {
  await t.step("scoped to the credential that saved it", async () => {
    const store = new MemoryResponseStore({ maxEntries: 10, maxBytes: 10_000, ttlMs: 1000 });
    await store.save("alice", stored("resp_1"));
    assert.equal((await store.get("alice", "resp_1"))?.id, "resp_1");
    assert.equal(await store.get("bob", "resp_1"), undefined);
    assert.equal(await store.delete("bob", "resp_1"), false);
    assert.equal(await store.delete("alice", "resp_1"), true);
    assert.equal(await store.get("alice", "resp_1"), undefined);
  });
  await t.step("the oldest go first past the count", async () => {
    const store = new MemoryResponseStore({ maxEntries: 2, maxBytes: 10_000, ttlMs: 1000 });
    for (const id of ["a", "b", "c"]) await store.save("k", stored(id));
    assert.deepEqual(
      await Promise.all(["a", "b", "c"].map(async (id) => (await store.get("k", id))?.id)),
      [undefined, "b", "c"],
    );
    assert.equal(store.usage.entries, 2);
  });
  await t.step("the oldest go first past the bytes; one too big is not kept", async () => {
    const store = new MemoryResponseStore({ maxEntries: 100, maxBytes: 250, ttlMs: 1000 });
    for (const id of ["a", "b", "c"]) await store.save("k", stored(id, 60));
    assert.equal(await store.get("k", "a"), undefined);
    assert.ok(store.usage.bytes <= 250);
    await store.save("k", stored("huge", 1000));
    assert.equal(await store.get("k", "huge"), undefined);
    assert.ok(await store.get("k", "c"), "a response too big to keep does not empty the store");
  });
  await t.step("expired after the time to live", async () => {
    let now = 0;
    const store = new MemoryResponseStore({
      maxEntries: 10,
      maxBytes: 10_000,
      ttlMs: 1000,
      now: () => now,
    });
    await store.save("k", stored("a"));
    now = 999;
    assert.ok(await store.get("k", "a"));
    now = 1000;
    assert.equal(await store.get("k", "a"), undefined);
    assert.equal(store.usage.entries, 0);
  });
  await t.step("RESPONSES_STORE_MAX=0 keeps nothing", async () => {
    const store = new MemoryResponseStore({ maxEntries: 0, maxBytes: 10_000, ttlMs: 1000 });
    await store.save("k", stored("a"));
    assert.equal(await store.get("k", "a"), undefined);
  });
});
