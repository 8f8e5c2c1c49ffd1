import assert from "node:assert/strict";
import { MemorySessionBook } from "../../../lib/http/console_sessions.ts";

Deno.test("MemorySessionBook: signed in until signed out or expired; the oldest go past 1000", async () => {
  const book = new MemorySessionBook();
  const now = 1_700_000_000_000;
  await book.add({ id: "a", expires: now + 1000 });
  await book.add({ id: "b", expires: now + 5000 });
  assert.equal(await book.has({ id: "a", expires: now + 1000 }, now), true);
  assert.equal(await book.has({ id: "zz", expires: now + 1000 }, now), false);
  assert.equal(await book.count(now), 2);
  assert.equal(await book.has({ id: "a", expires: now + 1000 }, now + 1000), false, "expired");
  assert.equal(await book.count(now + 1000), 1);
  await book.end("b");
  assert.equal(await book.has({ id: "b", expires: now + 5000 }, now), false, "signed out");
  for (let i = 0; i < 1001; i++) await book.add({ id: `s${i}`, expires: now + 9000 });
  assert.equal(await book.has({ id: "s0", expires: now + 9000 }, now), false, "the oldest went");
  assert.equal(await book.count(now), 1000);
  assert.equal(await book.endAll(now), 1000);
  assert.equal(await book.count(now), 0);
});
