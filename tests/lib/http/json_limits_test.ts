import assert from "node:assert/strict";
import { countJsonNodes, findTooDeep, formatPath } from "../../../lib/http/json_limits.ts";

/** A value nested `depth` levels: {"a":{"a":...}} with arrays every third level. */
function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = depth; i > 0; i--) value = i % 3 === 0 ? [value] : { a: value };
  return value;
}

Deno.test("findTooDeep finds the first value past the limit, never deeper than it", async (t) => {
  const rows: {
    name: string;
    value: unknown;
    max: number;
    expected: (string | number)[] | undefined;
  }[] = [
    { name: "a scalar", value: 5, max: 0, expected: undefined },
    { name: "an empty object at the limit", value: {}, max: 1, expected: undefined },
    { name: "exactly at the limit", value: nested(3), max: 3, expected: undefined },
    { name: "one past the limit", value: nested(3), max: 2, expected: ["a", "a"] },
    {
      name: "the deep branch, not the first one",
      value: { x: 1, y: [{ z: { w: {} } }] },
      max: 3,
      expected: ["y", 0, "z"],
    },
    { name: "20 000 levels", value: nested(20_000), max: 64, expected: undefined },
  ];
  rows[5].expected = (() => {
    const path: (string | number)[] = [];
    for (let i = 1; i <= 64; i++) path.push(i % 3 === 0 ? 0 : "a");
    return path;
  })();
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(findTooDeep(row.value, row.max), row.expected));
  }
});

Deno.test("findTooDeep takes odd depths as the levels they reach, and refuses endless ones", async (t) => {
  const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
  await t.step("a fraction counts up to the next whole level", () => {
    assert.deepEqual(findTooDeep(nested(4), 2.5), ["a", "a", 0]);
  });
  await t.step("a negative depth finds the top-level object", () => {
    assert.deepEqual(findTooDeep({ a: 1 }, -1), []);
    assert.equal(findTooDeep("scalar", -1), undefined);
  });
  await t.step("100 000 levels from JSON.parse, 64 allowed: no stack overflow", () => {
    assert.equal(findTooDeep(deep, 64)?.length, 64);
  });
  await t.step("an endless depth is a RangeError, not a stack overflow", () => {
    assert.throws(() => findTooDeep(deep, Infinity), RangeError);
  });
});

Deno.test("countJsonNodes counts every value and stops past the limit", async (t) => {
  const rows: { name: string; value: unknown; limit: number; expected: number }[] = [
    { name: "a scalar", value: "x", limit: 10, expected: 1 },
    { name: "an object with three values", value: { a: 1, b: [2, 3] }, limit: 10, expected: 5 },
    { name: "stops at limit + 1", value: new Array(1000).fill(0), limit: 10, expected: 11 },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(countJsonNodes(row.value, row.limit), row.expected));
  }
});

Deno.test("formatPath writes a zod path the way OpenAI names params", async (t) => {
  const rows: { name: string; path: PropertyKey[]; expected: string }[] = [
    { name: "empty", path: [], expected: "" },
    { name: "one key", path: ["model"], expected: "model" },
    {
      name: "message field",
      path: ["messages", 2, "tool_call_id"],
      expected: "messages[2].tool_call_id",
    },
    {
      name: "content part",
      path: ["messages", 0, "content", 1],
      expected: "messages[0].content[1]",
    },
    {
      name: "deep",
      path: ["messages", 1, "tool_calls", 0, "function", "arguments"],
      expected: "messages[1].tool_calls[0].function.arguments",
    },
    { name: "two indexes", path: ["a", 0, 1], expected: "a[0][1]" },
    { name: "leading index", path: [0, "a"], expected: "[0].a" },
    { name: "symbol", path: ["a", Symbol("s")], expected: "a.Symbol(s)" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(formatPath(row.path), row.expected));
  }
});
