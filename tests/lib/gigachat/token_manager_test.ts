import assert from "node:assert/strict";
import type { Credential } from "../../../lib/gigachat/credential.ts";
import type { AccessToken } from "../../../lib/gigachat/oauth.ts";
import { TokenManager } from "../../../lib/gigachat/token_manager.ts";

function credential(name: string): Credential {
  return { key: `key-${name}`, scope: "GIGACHAT_API_PERS", id: `id-${name}` };
}

const ALICE = credential("alice");
const T0 = 1_700_000_000_000;
// API-chat.md §1.1: tokens live 30 minutes.
const THIRTY_MINUTES = 1_800_000;

/** A TokenManager on a settable clock whose exchanges hand out `tok-1`, `tok-2`, ... */
function setup(options: { refreshBufferMs?: number; maxEntries?: number; lifeMs?: number } = {}) {
  const clock = { now: T0 };
  const calls: string[] = [];
  const manager = new TokenManager({
    refreshBufferMs: options.refreshBufferMs ?? 300_000,
    maxEntries: options.maxEntries ?? 10,
    now: () => clock.now,
    requestToken: (c: Credential): Promise<AccessToken> => {
      calls.push(c.id);
      const token = `tok-${calls.length}`;
      return Promise.resolve({ token, expiresAt: clock.now + (options.lifeMs ?? THIRTY_MINUTES) });
    },
  });
  return { clock, calls, manager };
}

Deno.test("TokenManager.get makes one exchange for 50 concurrent cold callers", async () => {
  const gate = Promise.withResolvers<void>();
  let calls = 0;
  const manager = new TokenManager({
    refreshBufferMs: 300_000,
    maxEntries: 10,
    now: () => T0,
    requestToken: async () => {
      calls++;
      await gate.promise;
      return { token: "shared", expiresAt: T0 + THIRTY_MINUTES };
    },
  });
  const waiting = Array.from({ length: 50 }, () => manager.get(ALICE));
  gate.resolve();
  const tokens = await Promise.all(waiting);
  assert.equal(calls, 1);
  assert.deepEqual(new Set(tokens), new Set(["shared"]));
});

Deno.test("TokenManager.get caches until expiresAt minus the refresh buffer", async (t) => {
  const { clock, calls, manager } = setup({ refreshBufferMs: 300_000 });
  await t.step("first get exchanges", async () => {
    assert.equal(await manager.get(ALICE), "tok-1");
  });
  await t.step("1 ms before the refresh point it is cached", async () => {
    clock.now = T0 + 1_499_999;
    assert.equal(await manager.get(ALICE), "tok-1");
    assert.equal(calls.length, 1);
  });
  await t.step("at the refresh point it exchanges again", async () => {
    clock.now = T0 + 1_500_000;
    assert.equal(await manager.get(ALICE), "tok-2");
    assert.equal(calls.length, 2);
  });
});

Deno.test("TokenManager.get keeps a token shorter-lived than the buffer for half its life", async (t) => {
  const { clock, calls, manager } = setup({ refreshBufferMs: 300_000, lifeMs: 60_000 });
  assert.equal(await manager.get(ALICE), "tok-1");
  await t.step("cached before half its life", async () => {
    clock.now = T0 + 29_999;
    assert.equal(await manager.get(ALICE), "tok-1");
    assert.equal(calls.length, 1);
  });
  await t.step("refreshed at half its life", async () => {
    clock.now = T0 + 30_000;
    assert.equal(await manager.get(ALICE), "tok-2");
  });
});

Deno.test("TokenManager.get does not cache a token that has already expired", async () => {
  const { calls, manager } = setup({ lifeMs: 0 });
  assert.equal(await manager.get(ALICE), "tok-1");
  assert.equal(await manager.get(ALICE), "tok-2");
  assert.equal(calls.length, 2);
});

Deno.test("TokenManager.invalidate drops only the matching token", async (t) => {
  const { calls, manager } = setup();
  assert.equal(await manager.get(ALICE), "tok-1");
  await t.step("a stale token leaves the current one", async () => {
    manager.invalidate(ALICE, "tok-0");
    assert.equal(await manager.get(ALICE), "tok-1");
    assert.equal(calls.length, 1);
  });
  await t.step("another credential is untouched", async () => {
    const bob = credential("bob");
    assert.equal(await manager.get(bob), "tok-2");
    manager.invalidate(ALICE, "tok-1");
    assert.equal(await manager.get(bob), "tok-2");
  });
  await t.step("the current token is dropped and refetched", async () => {
    manager.invalidate(ALICE, "tok-1");
    assert.equal(await manager.get(ALICE), "tok-3");
  });
});

Deno.test("TokenManager.get does not cache a failed exchange", async () => {
  let calls = 0;
  const refused = new Error("GigaChat did not accept the authorization key");
  const manager = new TokenManager({
    refreshBufferMs: 300_000,
    maxEntries: 10,
    now: () => T0,
    requestToken: () => {
      calls++;
      return calls === 1
        ? Promise.reject(refused)
        : Promise.resolve({ token: "after-retry", expiresAt: T0 + THIRTY_MINUTES });
    },
  });
  await assert.rejects(manager.get(ALICE), (e) => e === refused);
  assert.equal(await manager.get(ALICE), "after-retry");
  assert.equal(calls, 2);
});

Deno.test("TokenManager.get abort rejects only the aborted waiter", async () => {
  const gate = Promise.withResolvers<void>();
  let calls = 0;
  const manager = new TokenManager({
    refreshBufferMs: 300_000,
    maxEntries: 10,
    now: () => T0,
    requestToken: async () => {
      calls++;
      await gate.promise;
      return { token: "shared", expiresAt: T0 + THIRTY_MINUTES };
    },
  });
  const controller = new AbortController();
  const reason = new Error("client went away");
  const leaving = manager.get(ALICE, controller.signal);
  const staying = manager.get(ALICE, new AbortController().signal);
  const plain = manager.get(ALICE);
  controller.abort(reason);
  await assert.rejects(leaving, (e) => e === reason);
  gate.resolve();
  assert.equal(await staying, "shared");
  assert.equal(await plain, "shared");
  assert.equal(calls, 1);
});

Deno.test("TokenManager.get with an already aborted signal rejects at once", async () => {
  const { calls, manager } = setup();
  const reason = new Error("gone");
  await assert.rejects(manager.get(ALICE, AbortSignal.abort(reason)), (e) => e === reason);
  // The exchange still runs for the next caller and is shared with it.
  assert.equal(await manager.get(ALICE), "tok-1");
  assert.equal(calls.length, 1);
});

Deno.test({
  name: "TokenManager.get with an aborted signal leaves no unhandled rejection",
  fn: async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      unhandled.push(event.reason);
    };
    globalThis.addEventListener("unhandledrejection", onUnhandled);
    try {
      const manager = new TokenManager({
        refreshBufferMs: 300_000,
        maxEntries: 10,
        now: () => T0,
        requestToken: () => Promise.reject(new Error("bad key")),
      });
      await assert.rejects(manager.get(ALICE, AbortSignal.abort()));
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(unhandled, []);
    } finally {
      globalThis.removeEventListener("unhandledrejection", onUnhandled);
    }
  },
});

Deno.test("TokenManager keeps tokens for at most maxEntries credentials", async () => {
  const { calls, manager } = setup({ maxEntries: 2 });
  const [a, b, c] = [credential("a"), credential("b"), credential("c")];
  for (const each of [a, b, c]) await manager.get(each);
  assert.deepEqual(calls, ["id-a", "id-b", "id-c"]);
  assert.equal(await manager.get(c), "tok-3");
  assert.equal(await manager.get(b), "tok-2");
  assert.equal(await manager.get(a), "tok-4");
  assert.deepEqual(calls, ["id-a", "id-b", "id-c", "id-a"]);
});
