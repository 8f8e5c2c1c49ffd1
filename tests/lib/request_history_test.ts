import assert from "node:assert/strict";
import { RequestHistory, type RequestRecord } from "../../lib/request_history.ts";

function record(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: 0,
    request_id: `r${i}`,
    method: "POST",
    path: "/v1/chat/completions",
    status: 200,
    duration_ms: 1,
    ...extra,
  };
}

Deno.test("RequestHistory: the newest first, the oldest dropped once full, filters", () => {
  const clock = { now: 1_700_000_000_000 };
  const history = new RequestHistory(3, () => clock.now);
  for (let i = 1; i <= 5; i++) {
    history.record(
      record(i, { key_name: i % 2 ? "odd" : "even", model: `m${i}`, time: clock.now }),
    );
  }
  assert.deepEqual(history.list({ limit: 10 }).map((r) => r.request_id), ["r5", "r4", "r3"]);
  assert.deepEqual(history.list({ limit: 10, key: "odd" }).map((r) => r.request_id), ["r5", "r3"]);
  assert.deepEqual(history.list({ limit: 1 }).map((r) => r.request_id), ["r5"]);
  assert.deepEqual(history.list({ limit: 10, model: "m4" }).map((r) => r.request_id), ["r4"]);
  assert.equal(history.list({ limit: 1 })[0].time, new Date(clock.now).toISOString());
});

Deno.test("RequestHistory: 10-second totals over the window, errors by code", () => {
  const clock = { now: 1_700_000_000_000 };
  const history = new RequestHistory(100, () => clock.now);
  history.record(record(1, { tokens_in: 5, tokens_out: 7 }));
  history.record(record(2, { status: 429, error_code: "queue_full" }));
  clock.now += 20_000;
  history.record(record(3));
  const samples = history.live(1);
  assert.equal(samples.length, 6);
  assert.deepEqual(samples.map((s) => s.requests).slice(-3), [2, 0, 1]);
  const first = samples.at(-3)!;
  assert.deepEqual([first.errors, first.errors_by_code, first.tokens_in, first.tokens_out], [
    1,
    { queue_full: 1 },
    5,
    7,
  ]);
  // Sixteen minutes on, the old slices are gone.
  clock.now += 16 * 60_000;
  history.record(record(4));
  assert.equal(history.live(15).reduce((sum, s) => sum + s.requests, 0), 1);
});

Deno.test("RequestHistory: waits for a slot and the load's peaks, per slice", () => {
  const clock = { now: 1_700_000_000_000 };
  const load = { queue_length: 0, open_streams: 0, generating: 0 };
  const history = new RequestHistory(100, () => clock.now, () => ({ ...load }));
  load.queue_length = 7;
  load.open_streams = 3;
  history.record(record(1, { queue_ms: 40 }));
  load.queue_length = 2;
  load.open_streams = 5;
  history.record(record(2, { queue_ms: 250 }));
  // A request that took no slot (a model list) counts in no wait.
  history.record(record(3));
  clock.now += 10_000;
  // Nothing ended in this slice, but streams were open when it was read.
  load.queue_length = 0;
  load.open_streams = 9;
  const [busy, quiet] = history.live(1).slice(-2);
  assert.deepEqual(
    [busy.slotted, busy.queue_wait_ms, busy.queue_wait_ms_max],
    [2, 290, 250],
  );
  assert.deepEqual([busy.queue_length_max, busy.open_streams_max], [7, 5]);
  assert.deepEqual([quiet.slotted, quiet.queue_length_max, quiet.open_streams_max], [0, 0, 9]);
});
