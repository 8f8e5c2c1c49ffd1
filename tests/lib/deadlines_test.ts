import assert from "node:assert/strict";
import { Deadlines } from "../../lib/deadlines.ts";

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("Deadlines fires each deadline once, in order, after its span", async () => {
  const deadlines = new Deadlines(30);
  const fired: string[] = [];
  const started = performance.now();
  const times: number[] = [];
  deadlines.add(() => {
    fired.push("a");
    times.push(performance.now() - started);
  });
  await wait(10);
  deadlines.add(() => {
    fired.push("b");
    times.push(performance.now() - started);
  });
  assert.equal(deadlines.size, 2);
  await wait(60);
  assert.deepEqual(fired, ["a", "b"]);
  assert.ok(times[0] >= 29, `a fired after ${times[0]} ms`);
  assert.ok(times[1] >= 39, `b fired after ${times[1]} ms`);
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines: a cancelled deadline never fires, the others still do", async () => {
  const deadlines = new Deadlines(20);
  const fired: string[] = [];
  const cancelFirst = deadlines.add(() => fired.push("first"));
  deadlines.add(() => fired.push("second"));
  const cancelThird = deadlines.add(() => fired.push("third"));
  cancelFirst();
  cancelFirst(); // Twice is harmless and does not miscount.
  assert.equal(deadlines.size, 2);
  cancelThird();
  await wait(50);
  assert.deepEqual(fired, ["second"]);
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines leaves no timer behind once every deadline is cancelled", () => {
  // The test sanitizer fails this test if a timer is still pending when it returns.
  const deadlines = new Deadlines(60_000);
  const cancels = Array.from({ length: 5_000 }, () => deadlines.add(() => {}));
  for (const cancel of cancels) cancel();
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines keeps settled entries few while an old deadline is pending", () => {
  let now = 0;
  const deadlines = new Deadlines(60_000, () => now);
  const fired: number[] = [];
  // One long call holds the head of the queue while 100 000 short ones come and go.
  const cancelLong = deadlines.add(() => fired.push(-1));
  for (let i = 0; i < 100_000; i++) {
    now += 0.01;
    deadlines.add(() => fired.push(i))();
  }
  assert.equal(deadlines.size, 1);
  assert.ok(deadlines.held <= 1_024, `${deadlines.held} entries held for 1 pending deadline`);
  cancelLong();
  assert.equal(deadlines.held, 0);
  assert.deepEqual(fired, []);
});

Deno.test("Deadlines lets go of expired entries while later ones are pending", async () => {
  // Traffic that never stops: batches keep arriving while earlier ones expire, so the queue
  // is never empty and never reset; what has expired must still leave it.
  const deadlines = new Deadlines(50);
  let fired = 0;
  let most = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 100; i++) deadlines.add(() => fired++);
    await wait(10);
    most = Math.max(most, deadlines.held);
  }
  assert.ok(fired >= 1_500, `${fired} of 4000 deadlines fired during the run`);
  assert.ok(most < 2_500, `the queue held up to ${most} entries for 4000 deadlines`);
  while (deadlines.size > 0) await wait(20);
  assert.equal(deadlines.held, 0);
});

Deno.test("Deadlines: a callback may set a new deadline", async () => {
  const deadlines = new Deadlines(10);
  const fired: string[] = [];
  deadlines.add(() => {
    fired.push("outer");
    deadlines.add(() => fired.push("inner"));
  });
  await wait(60);
  assert.deepEqual(fired, ["outer", "inner"]);
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines: after the last one is cancelled, a new one still fires after its own span", async () => {
  // Margins of tens of ms either side: timers on a busy CI machine run late.
  const deadlines = new Deadlines(100);
  const started = performance.now();
  deadlines.add(() => assert.fail("cancelled"))();
  await wait(30);
  const setAt = performance.now() - started;
  let firedAt: number | undefined;
  deadlines.add(() => firedAt = performance.now() - started);
  // The timer armed for the first still fires at ~100 ms: it must re-arm for the second.
  await wait(40);
  if (performance.now() - started < setAt + 100) {
    assert.equal(firedAt, undefined, "not before its span");
  }
  await wait(150);
  assert.ok(firedAt !== undefined && firedAt >= setAt + 99, `fired after ${firedAt} ms`);

  // And once that leftover timer has fired with nothing due, the next one is armed afresh.
  deadlines.add(() => assert.fail("cancelled"))();
  await wait(150);
  let late = false;
  deadlines.add(() => late = true);
  await wait(250);
  assert.ok(late, "a deadline set after the leftover timer fired still fires");
});

Deno.test("Deadlines: a timer left armed keeps no process alive", async () => {
  const module = new URL("../../lib/deadlines.ts", import.meta.url).href;
  const started = performance.now();
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { Deadlines } from "${module}";
       const deadlines = new Deadlines(60_000);
       deadlines.add(() => {})();
       deadlines.add(() => {});
       console.log("set");`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  assert.equal(new TextDecoder().decode(stdout).trim(), "set");
  assert.ok(performance.now() - started < 20_000, "it did not wait for the 60 s deadline");
});
