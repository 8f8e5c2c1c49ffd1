import assert from "node:assert/strict";
import {
  MemoryResponseStore,
  readChain,
  utf8Length,
} from "../../../lib/pipeline/response_store.ts";

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

Deno.test("MemoryResponseStore: a full store takes room from the key that holds the most", async () => {
  const store = new MemoryResponseStore({ maxEntries: 100, maxBytes: 1000, ttlMs: 60_000 });
  assert.equal(await store.save("alice", stored("a1", 100)), true);
  for (let i = 0; i < 20; i++) await store.save("bob", stored(`b${i}`, 100));
  assert.ok(await store.get("alice", "a1"), "bob's long session evicts only bob's responses");
  assert.equal(await store.get("bob", "b0"), undefined);
  assert.ok(await store.get("bob", "b19"));
  assert.ok(store.usage.bytes <= 1000);
});

Deno.test("MemoryResponseStore: reading a response keeps it, the least recently used go first", async () => {
  const store = new MemoryResponseStore({ maxEntries: 2, maxBytes: 10_000, ttlMs: 60_000 });
  await store.save("k", stored("a"));
  await store.save("k", stored("b"));
  await store.get("k", "a");
  await store.save("k", stored("c"));
  assert.ok(await store.get("k", "a"), "read lately: kept");
  assert.equal(await store.get("k", "b"), undefined);
});

Deno.test("MemoryResponseStore: save says whether it kept the response; sizes are UTF-8 bytes", async () => {
  const store = new MemoryResponseStore({ maxEntries: 10, maxBytes: 300, ttlMs: 60_000 });
  // 100 Cyrillic letters are 200 bytes, 100 characters.
  assert.equal(
    await store.save("k", { id: "r", response: { t: "я".repeat(100) }, input: [] }),
    true,
  );
  assert.ok(store.usage.bytes > 200);
  assert.equal(
    await store.save("k", { id: "s", response: { t: "я".repeat(200) }, input: [] }),
    false,
  );
  const none = new MemoryResponseStore({ maxEntries: 0, maxBytes: 300, ttlMs: 60_000 });
  assert.equal(await none.save("k", stored("r")), false);
});

Deno.test("utf8Length counts as TextEncoder does", () => {
  for (const text of ["", "abc", "Привет", "😀x", "\ud800", "a\udc00b", "€", "中文🀄"]) {
    assert.equal(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
});

Deno.test("readChain walks the links oldest first, and names the link that is gone", async () => {
  const store = new MemoryResponseStore({ maxEntries: 10, maxBytes: 10_000, ttlMs: 60_000 });
  await store.save("k", { ...stored("r1"), input: ["1"] });
  await store.save("k", { ...stored("r2"), input: ["2"], previous: "r1" });
  await store.save("k", { ...stored("r3"), input: ["3"], previous: "r2" });
  const chain = await readChain(store, "k", "r3");
  assert.equal(chain.kind, "found");
  assert.deepEqual(chain.kind === "found" && chain.entries.map((entry) => entry.id), [
    "r1",
    "r2",
    "r3",
  ]);
  await store.delete("k", "r1");
  assert.deepEqual(await readChain(store, "k", "r3"), {
    kind: "missing",
    id: "r1",
    continuedBy: "r2",
  });
  assert.deepEqual(await readChain(store, "other", "r3"), {
    kind: "missing",
    id: "r3",
    continuedBy: undefined,
  });
});

Deno.test("readChain keeps an active conversation: every turn lives on, the newest used last", async () => {
  let now = 0;
  const store = new MemoryResponseStore({
    maxEntries: 3,
    maxBytes: 10_000,
    ttlMs: 1000,
    now: () => now,
  });
  await store.save("k", { ...stored("r1"), input: ["1"] });
  await store.save("k", { ...stored("r2"), input: ["2"], previous: "r1" });
  now = 900;
  // Continued just before the first turn would expire: the whole chain lives on.
  assert.equal((await readChain(store, "k", "r2")).kind, "found");
  now = 1500;
  assert.equal((await readChain(store, "k", "r2")).kind, "found", "time to live renewed");
  // Full: the next save evicts the least recently used, never a turn of the chain just read
  // before the one that continues it.
  await store.save("k", stored("other"));
  await readChain(store, "k", "r2");
  assert.equal(await store.save("k", { ...stored("r3"), input: ["3"], previous: "r2" }), true);
  assert.equal(await store.get("k", "other"), undefined);
  assert.equal((await readChain(store, "k", "r3")).kind, "found");
});

Deno.test("MemoryResponseStore: a turn whose predecessor was evicted for it is not claimed kept", async () => {
  const store = new MemoryResponseStore({ maxEntries: 1, maxBytes: 10_000, ttlMs: 60_000 });
  await store.save("k", stored("r1"));
  assert.equal(await store.save("k", { ...stored("r2"), previous: "r1" }), false);
});
