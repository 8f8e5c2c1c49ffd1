import assert from "node:assert/strict";
import {
  isRetryableStatus,
  parseRetryAfterMs,
  retryDelayMs,
  type RetryPolicy,
} from "../../../lib/gigachat/retry_policy.ts";

Deno.test("isRetryableStatus retries only 429 and transient 5xx (API-chat.md §6)", async (t) => {
  const rows = [
    { status: 429, expected: true },
    { status: 500, expected: true },
    { status: 502, expected: true },
    { status: 503, expected: true },
    { status: 504, expected: true },
    { status: 200, expected: false },
    { status: 400, expected: false },
    { status: 401, expected: false },
    { status: 402, expected: false },
    { status: 403, expected: false },
    { status: 404, expected: false },
    { status: 408, expected: false },
    { status: 413, expected: false },
    { status: 422, expected: false },
    { status: 501, expected: false },
    { status: 505, expected: false },
  ];
  for (const row of rows) {
    await t.step(
      String(row.status),
      () => assert.equal(isRetryableStatus(row.status), row.expected),
    );
  }
});

// 2015-10-21T07:27:30Z, thirty seconds before the date in the header rows.
const NOW = 1_445_412_450_000;

Deno.test("parseRetryAfterMs reads delta-seconds and HTTP dates", async (t) => {
  const rows: { name: string; value: string | null; expected: number | undefined }[] = [
    { name: "absent header", value: null, expected: undefined },
    { name: "seconds (SDK reads seconds, API-chat.md §6)", value: "2", expected: 2_000 },
    { name: "padded seconds", value: " 120 ", expected: 120_000 },
    { name: "fractional seconds", value: "1.5", expected: 1_500 },
    { name: "zero", value: "0", expected: 0 },
    { name: "HTTP date 30 s ahead", value: "Wed, 21 Oct 2015 07:28:00 GMT", expected: 30_000 },
    { name: "HTTP date in the past", value: "Wed, 21 Oct 2015 07:00:00 GMT", expected: 0 },
    { name: "empty", value: "", expected: undefined },
    { name: "a word", value: "soon", expected: undefined },
    { name: "exponent", value: "1e3", expected: undefined },
    { name: "hex", value: "0x10", expected: undefined },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(parseRetryAfterMs(row.value, NOW), row.expected));
  }
});

Deno.test({
  name: "parseRetryAfterMs rejects garbage that V8's Date.parse happens to accept",
  fn: async (t) => {
    for (const value of ["-1", "+5", "abc 1", "1,5"]) {
      await t.step(value, () => assert.equal(parseRetryAfterMs(value, NOW), undefined));
    }
  },
});

const POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 20_000 };

Deno.test("retryDelayMs backs off exponentially with jitter up to the cap", async (t) => {
  const rows = [
    { name: "attempt 1, no jitter", attempt: 1, random: 0, expected: 500 },
    { name: "attempt 1, half jitter", attempt: 1, random: 0.5, expected: 750 },
    { name: "attempt 2, no jitter", attempt: 2, random: 0, expected: 1_000 },
    { name: "attempt 3, quarter jitter", attempt: 3, random: 0.25, expected: 2_125 },
    { name: "attempt 0 counts as 1", attempt: 0, random: 0, expected: 500 },
    { name: "attempt 10 is capped", attempt: 10, random: 0.9, expected: 20_000 },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(retryDelayMs(row.attempt, POLICY, { random: () => row.random }), row.expected);
    });
  }
});

Deno.test("retryDelayMs prefers Retry-After and gives up when it exceeds the cap", async (t) => {
  const rows = [
    { name: "below the cap", retryAfterMs: 3_000, expected: 3_000 },
    { name: "at the cap", retryAfterMs: 20_000, expected: 20_000 },
    { name: "over the cap", retryAfterMs: 20_001, expected: undefined },
    { name: "far over the cap", retryAfterMs: 3_600_000, expected: undefined },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const random = () => assert.fail("jitter must not be drawn when Retry-After is given");
      assert.equal(
        retryDelayMs(2, POLICY, { retryAfterMs: row.retryAfterMs, random }),
        row.expected,
      );
    });
  }
});

Deno.test({
  name: "retryDelayMs falls back to backoff for Retry-After: 0 (API-chat.md §6)",
  fn: () => {
    assert.equal(retryDelayMs(1, POLICY, { retryAfterMs: 0, random: () => 0 }), 500);
  },
});
