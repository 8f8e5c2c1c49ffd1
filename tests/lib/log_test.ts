import assert from "node:assert/strict";
import { describeError, Logger, type LoggerOptions } from "../../lib/log.ts";

function capture(options: Omit<LoggerOptions, "sink">) {
  const lines: string[] = [];
  const log = new Logger({ ...options, sink: (line) => lines.push(line) });
  return { log, lines };
}

function logAll(log: Logger): void {
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
}

Deno.test("Logger writes only lines at or above its level", async (t) => {
  const rows = [
    { level: "debug", expected: ["d", "i", "w", "e"] },
    { level: "info", expected: ["i", "w", "e"] },
    { level: "warn", expected: ["w", "e"] },
    { level: "error", expected: ["e"] },
    { level: "silent", expected: [] },
  ] as const;
  for (const row of rows) {
    await t.step(row.level, () => {
      const { log, lines } = capture({ level: row.level });
      logAll(log);
      assert.deepEqual(lines.map((line) => JSON.parse(line).msg), row.expected);
    });
  }
});

Deno.test("Logger writes one JSON object per line with level, time and fields", () => {
  const { log, lines } = capture({ level: "debug" });
  log.info("request done", { status: 200, path: "/v1/models", nested: { a: [1, 2] } });
  log.error("multi\nline message");
  assert.equal(lines.length, 2);
  for (const line of lines) assert.ok(!line.includes("\n"), line);
  const first = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.match(String(first.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  delete first.time;
  assert.deepEqual(first, {
    level: "info",
    msg: "request done",
    status: 200,
    path: "/v1/models",
    nested: { a: [1, 2] },
  });
  assert.equal(JSON.parse(lines[1]).msg, "multi\nline message");
});

Deno.test("Logger redacts tokens, keys and configured secrets", async (t) => {
  const rows: { name: string; msg: string; fields?: Record<string, unknown>; expected: string }[] =
    [
      {
        name: "Bearer token in the message",
        msg: "upstream said Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_x",
        expected: "upstream said Authorization: Bearer [redacted]",
      },
      {
        name: "Basic key (base64) in the message",
        msg: "sent Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ= to ngw",
        expected: "sent Basic [redacted] to ngw",
      },
      {
        name: "lower-case bearer",
        msg: "bearer abcdefghijklmnop",
        expected: "bearer [redacted]",
      },
      {
        name: "short word after Basic left alone",
        msg: "Basic auth failed",
        expected: "Basic auth failed",
      },
      {
        name: "short word after Bearer left alone",
        msg: "Bearer token missing",
        expected: "Bearer token missing",
      },
      {
        name: "configured secret in the message",
        msg: "key proxy-key-do-not-print was refused",
        expected: "key [redacted] was refused",
      },
      {
        name: "configured secret repeated",
        msg: "sk-abcd and sk-abcd",
        expected: "[redacted] and [redacted]",
      },
    ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { log, lines } = capture({
        level: "info",
        secrets: ["proxy-key-do-not-print", "sk-abcd"],
      });
      log.info(row.msg);
      assert.equal(JSON.parse(lines[0]).msg, row.expected);
    });
  }
  await t.step("secrets and tokens in fields", () => {
    const { log, lines } = capture({ level: "info", secrets: ["c2VydmVyLWtleQ=="] });
    log.warn("upstream failed", {
      authorization: "Bearer abcdefghijklmnopqrstuvwxyz",
      error: "bad key c2VydmVyLWtleQ==",
    });
    const record = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.equal(record.authorization, "Bearer [redacted]");
    assert.equal(record.error, "bad key [redacted]");
    assert.ok(!lines[0].includes("c2VydmVyLWtleQ=="));
  });
  await t.step("secrets shorter than 4 characters are not scrubbed", () => {
    const { log, lines } = capture({ level: "info", secrets: ["abc", ""] });
    log.info("abc");
    assert.equal(JSON.parse(lines[0]).msg, "abc");
  });
});

Deno.test({
  name: "Logger redacts configured secrets that contain JSON-escaped characters",
  fn: () => {
    const secret = 'proxy"key\\1234';
    const { log, lines } = capture({ level: "info", secrets: [secret] });
    log.info(`refused ${secret}`);
    assert.equal(JSON.parse(lines[0]).msg, "refused [redacted]");
  },
});

Deno.test("describeError gives name and message only", async (t) => {
  const rows: { name: string; error: unknown; expected: string }[] = [
    { name: "TypeError", error: new TypeError("boom"), expected: "TypeError: boom" },
    {
      name: "cause not included",
      error: new Error("outer", { cause: new Error("inner") }),
      expected: "Error: outer",
    },
    { name: "string", error: "plain", expected: "plain" },
    { name: "undefined", error: undefined, expected: "undefined" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(describeError(row.error), row.expected));
  }
});
