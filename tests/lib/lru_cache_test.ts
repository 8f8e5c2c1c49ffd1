import assert from "node:assert/strict";
import { LruCache } from "../../lib/lru_cache.ts";

const NEVER = Number.MAX_SAFE_INTEGER;

Deno.test("LruCache evicts the least recently set entry when full", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1, NEVER);
  cache.set("b", 2, NEVER);
  cache.set("c", 3, NEVER);
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.get("b"), 2);
  assert.equal(cache.get("c"), 3);
});

Deno.test("LruCache get makes an entry the most recently used", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1, NEVER);
  cache.set("b", 2, NEVER);
  assert.equal(cache.get("a"), 1);
  cache.set("c", 3, NEVER);
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("c"), 3);
});

Deno.test("LruCache set on an existing key replaces it and refreshes its recency", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1, NEVER);
  cache.set("b", 2, NEVER);
  cache.set("a", 10, NEVER);
  cache.set("c", 3, NEVER);
  assert.equal(cache.size, 2);
  assert.equal(cache.get("a"), 10);
  assert.equal(cache.get("b"), undefined);
});

Deno.test("LruCache expires entries by the injected clock", async (t) => {
  let now = 1_000;
  const cache = new LruCache<string, string>(4, () => now);
  cache.set("token", "t1", 1_500);
  await t.step("live before expiresAt", () => {
    now = 1_499;
    assert.equal(cache.get("token"), "t1");
  });
  await t.step("gone at expiresAt and dropped", () => {
    now = 1_500;
    assert.equal(cache.get("token"), undefined);
    assert.equal(cache.size, 0);
  });
  await t.step("a fresh set lives again", () => {
    cache.set("token", "t2", 2_000);
    assert.equal(cache.get("token"), "t2");
  });
});

Deno.test("LruCache never holds more than maxEntries", () => {
  const cache = new LruCache<number, number>(3);
  for (let i = 0; i < 100; i++) {
    cache.set(i, i, NEVER);
    assert.ok(cache.size <= 3);
  }
  assert.equal(cache.size, 3);
  assert.deepEqual([96, 97, 98, 99].map((i) => cache.get(i)), [undefined, 97, 98, 99]);
});

Deno.test("LruCache delete removes one key", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1, NEVER);
  cache.set("b", 2, NEVER);
  cache.delete("a");
  assert.equal(cache.size, 1);
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.get("b"), 2);
});

Deno.test("LruCache refuses a size below one", async (t) => {
  for (const max of [0, -1, Number.NaN]) {
    await t.step(String(max), () => {
      assert.throws(() => new LruCache<string, number>(max), RangeError);
    });
  }
});

Deno.test("LruCache keeps recency right when the newest entry is read again and removed", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1, NEVER);
  cache.set("b", 2, NEVER);
  // b is the newest already: reading it again must not disturb the order.
  assert.equal(cache.get("b"), 2);
  assert.equal(cache.get("a"), 1);
  // a is the newest now; removing it and adding c leaves b the oldest.
  cache.delete("a");
  cache.set("c", 3, NEVER);
  assert.equal(cache.get("b"), 2);
  cache.set("d", 4, NEVER);
  assert.equal(cache.get("c"), undefined);
  assert.equal(cache.get("b"), 2);
  assert.equal(cache.get("d"), 4);
});
