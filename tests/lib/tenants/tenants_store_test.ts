import assert from "node:assert/strict";
import { RateWindows } from "../../../lib/tenants/rate_window.ts";
import { openSqliteStore } from "../../../lib/tenants/sqlite_store.ts";
import { applyChange, parseKeyChange, type Tenant } from "../../../lib/tenants/tenant.ts";

const TENANT: Tenant = {
  id: "key_1",
  name: "alice",
  hash: "ab".repeat(32),
  prefix: "gk-abcde",
  createdAt: 1,
  limits: { rpm: 5 },
  disabled: false,
};

Deno.test("RateWindows: a limit per minute, sliding over the minute before", () => {
  const windows = new RateWindows();
  const start = 60_000 * 1000;
  assert.ok(windows.count("a", 2, start).ok);
  assert.ok(windows.count("a", 2, start + 1).ok);
  const refused = windows.count("a", 2, start + 2);
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.retryAfter >= 59);
  assert.ok(windows.count("b", 2, start + 3).ok, "keys are apart");
  // Half a minute into the next one, half of the last minute's two still count.
  assert.ok(windows.count("a", 2, start + 90_000).ok);
  assert.equal(windows.count("a", 2, start + 90_001).ok, false);
  assert.ok(windows.count("a", 2, start + 180_000).ok, "two minutes on, all forgotten");
});

Deno.test("key changes: null clears a limit, fields left out stay", () => {
  const changed = applyChange(TENANT, parseKeyChange({ rpm: null, name: "alice2" }));
  assert.equal(changed.limits.rpm, undefined);
  assert.equal(changed.name, "alice2");
  assert.equal(changed.hash, TENANT.hash);
  assert.equal(TENANT.limits.rpm, 5, "the original is untouched");
});

Deno.test("the SQLite store keeps keys and usage across opens", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let store = openSqliteStore(dir);
    await store.keys.put({ ...TENANT, id: "key_2", hash: "cd".repeat(32), name: "bob" });
    await store.keys.put(TENANT);
    store.usage.add(row(3));
    store.keys.close();
    store.usage.close();
    store = openSqliteStore(dir);
    assert.deepEqual(await store.keys.byHash(TENANT.hash), TENANT);
    assert.equal((await store.keys.get("key_2"))?.name, "bob");
    store.usage.add(row(2));
    assert.deepEqual(
      (await store.usage.query("2026-01-01", "2026-12-31")).map((r) => r.requests),
      [5],
    );
    store.keys.close();
    store.usage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function row(requests: number) {
  return {
    day: "2026-12-07",
    key_id: "key_1",
    key_name: "alice",
    model: "GigaChat-2-Max",
    requests,
    errors: 0,
    tokens_in: 10 * requests,
    tokens_out: requests,
    cost: 0.5 * requests,
  };
}

Deno.test("kill -9 while usage is written leaves the store readable and its counters whole", async () => {
  const dir = await Deno.makeTempDir();
  const module = new URL("../../../lib/tenants/sqlite_store.ts", import.meta.url).href;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { openSqliteStore } from "${module}";
         const { usage, keys } = openSqliteStore(${JSON.stringify(dir)});
         keys.put(${JSON.stringify(TENANT)});
         console.log("ready");
         for (let i = 0; ; i++) {
           usage.add({ day: "2026-12-07", key_id: "key_1", key_name: "alice", model: "m" + (i % 3),
             requests: 1, errors: 0, tokens_in: 10, tokens_out: 1, cost: 0 });
           if (i % 50 === 0) usage.query("2026-12-07", "2026-12-07");
         }`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    const store = openSqliteStore(dir);
    const rows = await store.usage.query("2026-12-07", "2026-12-07");
    assert.ok(rows.length > 0, "something was written before the kill");
    for (const r of rows) {
      assert.equal(r.tokens_in, 10 * r.requests, "each flush is whole");
      assert.equal(r.tokens_out, r.requests);
    }
    assert.deepEqual(await store.keys.get("key_1"), TENANT);
    store.keys.close();
    store.usage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TokenBudgets: concurrent reservations count, a burst overshoots by one at most", async () => {
  const { TokenBudgets } = await import("../../../lib/tenants/token_budget.ts");
  const now = Date.parse("2026-12-07T12:00:00Z");
  // Settled on the same day, whatever the day the test runs.
  const budgets = new TokenBudgets(() => now);
  const limits = { dailyTokens: 1000 };
  // Three requests reserving 400 each start together: the third finds 800 reserved, under
  // 1000, and goes; a fourth finds 1200 and is refused.
  const settles = [0, 1, 2].map(() => budgets.reserve("t", limits, 400, now));
  assert.throws(() => budgets.reserve("t", limits, 400, now), /1000 tokens a day is spent/);
  for (const settle of settles) settle(100);
  // Settled at 300 used: room again.
  const next = budgets.reserve("t", limits, 400, now);
  next(0);
  next(5000); // a second settle counts nothing
  budgets.seed("u", 999, 999, now);
  budgets.reserve("u", limits, 1, now)(1);
  assert.throws(() => budgets.reserve("u", limits, 1, now));
  // The next UTC day starts from zero.
  budgets.reserve("u", limits, 1, now + 86_400_000)(1);
});

Deno.test("RateWindows: Retry-After says when a request will really be let through", () => {
  const windows = new RateWindows();
  const start = 60_000 * 2000;
  windows.count("a", 2, start);
  windows.count("a", 2, start);
  const refused = windows.count("a", 2, start + 1000);
  assert.ok(!refused.ok);
  const wait = refused.retryAfter * 1000;
  assert.equal(windows.count("a", 2, start + 1000 + wait - 2000).ok, false, "not before");
  assert.ok(windows.count("a", 2, start + 1000 + wait).ok, `after ${refused.retryAfter} s`);
});

Deno.test("one store per DATA_DIR: a second opener is refused, not served stale keys", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = openSqliteStore(dir);
    assert.throws(() => openSqliteStore(dir), /another gateway is using this store/);
    first.keys.close();
    first.usage.close();
    const again = openSqliteStore(dir);
    again.keys.close();
    again.usage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TokenBudgets: a month's budget across days, and when spent budgets renew", async () => {
  const { TokenBudgets, secondsUntilNext } = await import(
    "../../../lib/tenants/token_budget.ts"
  );
  const clock = { now: 0 };
  const budgets = new TokenBudgets(() => clock.now);
  const day1 = Date.parse("2026-12-30T23:00:00Z");
  const limits = { monthlyTokens: 100 };
  clock.now = day1;
  budgets.reserve("m", limits, 10, day1)(60);
  clock.now = day1 + 86_400_000;
  budgets.reserve("m", limits, 10, day1 + 86_400_000)(50); // Dec 31: 110 used
  assert.throws(
    () => budgets.reserve("m", limits, 10, day1 + 86_400_000),
    (error: { headers: Record<string, string> }) => Number(error.headers["Retry-After"]) > 0,
  );
  // January: a new month.
  clock.now = Date.parse("2027-01-01T00:00:01Z");
  budgets.reserve("m", limits, 10, clock.now)(1);
  assert.equal(secondsUntilNext("day", Date.parse("2026-12-07T23:59:30Z")), 30);
  assert.equal(secondsUntilNext("month", Date.parse("2026-12-31T23:00:00Z")), 3600);
});
