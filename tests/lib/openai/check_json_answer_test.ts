import assert from "node:assert/strict";
import {
  checkJsonAnswer,
  type JsonCheck,
  type JsonExpectation,
} from "../../../lib/openai/check_json_answer.ts";

const OBJECT: JsonExpectation = { kind: "json_object" };

const PERSON: JsonExpectation = {
  kind: "json_schema",
  schema: {
    type: "object",
    properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
    required: ["name", "age"],
    additionalProperties: false,
  },
};

const WITH_DEFS: JsonExpectation = {
  kind: "json_schema",
  schema: {
    type: "object",
    properties: { items: { type: "array", items: { $ref: "#/$defs/Item" } } },
    required: ["items"],
    $defs: {
      Item: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
    },
  },
};

// Pydantic and zod-to-json-schema (draft-07 targets) still write `definitions`.
const WITH_DEFINITIONS: JsonExpectation = {
  kind: "json_schema",
  schema: {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { status: { $ref: "#/definitions/Status" } },
    required: ["status"],
    definitions: { Status: { type: "string", enum: ["open", "closed"] } },
  },
};

const DRAFT_07: JsonExpectation = {
  kind: "json_schema",
  schema: {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { ok: { type: "boolean" } },
    required: ["ok"],
  },
};

const SIX_REQUIRED: JsonExpectation = {
  kind: "json_schema",
  schema: { type: "object", required: ["a", "b", "c", "d", "e", "f"] },
};

Deno.test("checkJsonAnswer checks JSON syntax and the object shape", async (t) => {
  const rows: { name: string; content: string; expected: JsonCheck }[] = [
    { name: "an object", content: '{"a":1}', expected: { ok: true } },
    { name: "an empty object", content: "{}", expected: { ok: true } },
    { name: "an object with space around it", content: ' \n{"a":[1]}\n', expected: { ok: true } },
    {
      name: "prose",
      content: "Sure! Here it is",
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "JSON in Markdown fences",
      content: '```json\n{"a":1}\n```',
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "cut off",
      content: '{"a":',
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "empty",
      content: "",
      expected: { ok: false, problem: "the answer is not valid JSON" },
    },
    {
      name: "an array",
      content: "[1,2]",
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "a number",
      content: "42",
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "a string",
      content: '"{}"',
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "null",
      content: "null",
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      async () => assert.deepEqual(await checkJsonAnswer(row.content, OBJECT), row.expected),
    );
  }
});

Deno.test("checkJsonAnswer validates against the client's schema", async (t) => {
  const rows: {
    name: string;
    content: string;
    expectation: JsonExpectation;
    expected: JsonCheck;
  }[] = [
    {
      name: "a match",
      content: '{"name":"Ann","age":30}',
      expectation: PERSON,
      expected: { ok: true },
    },
    {
      name: "a wrong type names the path",
      content: '{"name":"Ann","age":"30"}',
      expectation: PERSON,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: /age must be integer",
      },
    },
    {
      name: "a missing property is reported at the root",
      content: '{"name":"Ann"}',
      expectation: PERSON,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: / must have required property 'age'",
      },
    },
    {
      name: "every error, in one line",
      content: '{"name":1,"age":-1,"extra":true}',
      expectation: PERSON,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: / must NOT have additional properties; " +
          "/name must be string; /age must be >= 0",
      },
    },
    {
      name: "at most five errors",
      content: "{}",
      expectation: SIX_REQUIRED,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: / must have required property 'a'; " +
          "/ must have required property 'b'; / must have required property 'c'; " +
          "/ must have required property 'd'; / must have required property 'e'",
      },
    },
    {
      name: "the syntax is checked before the schema",
      content: "[]",
      expectation: PERSON,
      expected: { ok: false, problem: "the answer is not a JSON object" },
    },
    {
      name: "$defs refs: a match",
      content: '{"items":[{"id":1},{"id":2}]}',
      expectation: WITH_DEFS,
      expected: { ok: true },
    },
    {
      name: "$defs refs: the path runs into the array",
      content: '{"items":[{"id":1},{"id":"2"}]}',
      expectation: WITH_DEFS,
      expected: {
        ok: false,
        problem: "the answer does not match the schema: /items/1/id must be integer",
      },
    },
    {
      name: "definitions refs with a draft-07 $schema: a match",
      content: '{"status":"open"}',
      expectation: WITH_DEFINITIONS,
      expected: { ok: true },
    },
    {
      name: "definitions refs with a draft-07 $schema: a miss",
      content: '{"status":"pending"}',
      expectation: WITH_DEFINITIONS,
      expected: {
        ok: false,
        problem:
          "the answer does not match the schema: /status must be equal to one of the allowed values",
      },
    },
    {
      name: "draft-07 $schema URL tolerated: a match",
      content: '{"ok":true}',
      expectation: DRAFT_07,
      expected: { ok: true },
    },
    {
      name: "draft-07 $schema URL tolerated: a miss",
      content: '{"ok":"yes"}',
      expectation: DRAFT_07,
      expected: { ok: false, problem: "the answer does not match the schema: /ok must be boolean" },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      async () =>
        assert.deepEqual(await checkJsonAnswer(row.content, row.expectation), row.expected),
    );
  }
});

Deno.test("checkJsonAnswer checks only the syntax when the schema does not compile", async (t) => {
  const broken: { name: string; schema: Record<string, unknown> }[] = [
    { name: "an unknown type", schema: { type: "nonsense", required: ["a"] } },
    { name: "a ref to nowhere", schema: { $ref: "#/$defs/Missing" } },
  ];
  const rows: { content: string; expected: JsonCheck }[] = [
    { content: '{"anything":1}', expected: { ok: true } },
    { content: "not json", expected: { ok: false, problem: "the answer is not valid JSON" } },
    { content: "[1]", expected: { ok: false, problem: "the answer is not a JSON object" } },
  ];
  for (const schema of broken) {
    for (const row of rows) {
      await t.step(`${schema.name}: ${row.content}`, async () => {
        const expectation: JsonExpectation = { kind: "json_schema", schema: schema.schema };
        assert.deepEqual(await checkJsonAnswer(row.content, expectation), row.expected);
        // The second call comes from the cache and answers the same.
        assert.deepEqual(await checkJsonAnswer(row.content, expectation), row.expected);
      });
    }
  }
});

Deno.test("checkJsonAnswer keeps schemas apart that differ only in their content", async () => {
  const a: JsonExpectation = { kind: "json_schema", schema: { type: "object", required: ["a"] } };
  const b: JsonExpectation = { kind: "json_schema", schema: { type: "object", required: ["b"] } };
  assert.deepEqual(await checkJsonAnswer('{"a":1}', a), { ok: true });
  assert.deepEqual(await checkJsonAnswer('{"a":1}', b), {
    ok: false,
    problem: "the answer does not match the schema: / must have required property 'b'",
  });
});

// Bug: lib/openai/check_json_answer.ts:47 — ajv.compile registers each schema's $id in the one
// shared Ajv instance, so a second, different schema with the same $id (a new version of the
// client's schema, another client's, or the same one recompiled after LRU eviction) throws
// "schema with key or id ... already exists" and is then treated as uncompilable: only the
// JSON syntax of answers is checked from then on. (The Ajv instance also keeps every compiled
// schema in its own unbounded cache, whatever the LRU evicts.)
Deno.test({
  name: "checkJsonAnswer validates two different schemas that share an $id",
  fn: async () => {
    const $id = "https://example.com/schemas/shared-id-test.json";
    const v1: JsonExpectation = {
      kind: "json_schema",
      schema: { $id, type: "object", required: ["a"] },
    };
    const v2: JsonExpectation = {
      kind: "json_schema",
      schema: { $id, type: "object", required: ["b"] },
    };
    assert.deepEqual(await checkJsonAnswer("{}", v1), {
      ok: false,
      problem: "the answer does not match the schema: / must have required property 'a'",
    });
    assert.deepEqual(await checkJsonAnswer("{}", v2), {
      ok: false,
      problem: "the answer does not match the schema: / must have required property 'b'",
    });
  },
});

Deno.test("checkJsonAnswer ignores a schema's regular expressions (no ReDoS on model output)", async () => {
  const schema = {
    type: "object",
    properties: { a: { type: "string", pattern: "^(a|a)*$" } },
    patternProperties: { "^x": { type: "number" } },
    additionalProperties: false,
    required: ["a"],
  };
  const started = performance.now();
  const check = await checkJsonAnswer(`{"a":"${"a".repeat(40)}b","x1":"not a number"}`, {
    kind: "json_schema",
    schema,
  });
  assert.deepEqual(check, { ok: true });
  assert.ok(performance.now() - started < 500, "the backtracking pattern was not run");
  assert.deepEqual(await checkJsonAnswer('{"b":1}', { kind: "json_schema", schema }), {
    ok: false,
    problem: "the answer does not match the schema: / must have required property 'a'",
  });
});
