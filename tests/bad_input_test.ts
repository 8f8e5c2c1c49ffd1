// Bad input that once got a 500 or held the gateway: JSON nested past any recursion, schemas
// too large to compile per answer, a client that leaves mid-body, one that sends its body a
// byte at a time.
import assert from "node:assert/strict";
import { DEMO_KEY, postTo, type Stack, startStack, withStack } from "./helpers/stack.ts";

/** `{"properties":{"a":{"properties":{"a":...}}}}`, `depth` levels of objects. */
function deepSchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < depth; i++) schema = { type: "object", properties: { a: schema } };
  return schema;
}

function deepValue(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const HI = [{ role: "user", content: "hi" }];

Deno.test("JSON nested past the limit is a 400 naming the field, before any chat call", async (t) => {
  const rows: { name: string; body: Record<string, unknown>; param: string }[] = [
    {
      name: "a response_format schema 20 000 levels deep",
      body: {
        messages: HI,
        response_format: {
          type: "json_schema",
          json_schema: { name: "answer", schema: deepSchema(20_000) },
        },
      },
      param: "response_format.json_schema.schema",
    },
    {
      name: "a tool schema",
      body: {
        messages: HI,
        tools: [{ type: "function", function: { name: "f", parameters: deepSchema(5_000) } }],
      },
      param: "tools[0].function.parameters",
    },
    {
      name: "message content",
      body: { messages: [{ role: "user", content: [{ type: "text", text: deepValue(100) }] }] },
      param: "messages[0].content[0]",
    },
    {
      name: "extra_body",
      body: { messages: HI, extra_body: { x: deepValue(3_000) } },
      param: "extra_body.x[0][0]",
    },
  ];
  await withStack({}, async (stack) => {
    for (const row of rows) {
      await t.step(row.name, async () => {
        const response = await postTo(stack, "/chat/completions", {
          model: "GigaChat-2-Max",
          ...row.body,
        });
        const { error } = await response.json();
        assert.equal(response.status, 400, JSON.stringify(error));
        assert.equal(error.code, "json_too_deep");
        assert.equal(error.param, row.param);
        assert.match(error.message, /more than 64 levels/);
      });
    }
    assert.equal(stack.fake.chatBodies().length, 0, "nothing went upstream");
    assert.ok(!stack.logRecords().some((record) => record.level === "error"));
  });
});

Deno.test("a response_format schema with too many values is a 400 in both structured modes", async (t) => {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 7_000; i++) properties[`p${i}`] = { type: "string", description: "x" };
  for (const mode of ["function", "native"]) {
    await t.step(mode, async () => {
      await withStack({ env: { STRUCTURED_OUTPUT_MODE: mode } }, async (stack) => {
        const response = await postTo(stack, "/chat/completions", {
          model: "GigaChat-2-Max",
          messages: HI,
          response_format: {
            type: "json_schema",
            json_schema: { name: "answer", schema: { type: "object", properties } },
          },
        });
        const { error } = await response.json();
        assert.equal(response.status, 400);
        assert.equal(error.code, "schema_too_complex");
        assert.equal(error.param, "response_format.json_schema.schema");
        assert.equal(stack.fake.chatBodies().length, 0);
      });
    });
  }
});

/** Opens a raw connection and sends the head of a chat POST, then `body` (maybe partial). */
async function rawPost(
  stack: Stack,
  headers: string,
  body: string,
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(stack.origin).port),
  });
  await conn.write(new TextEncoder().encode(
    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
      `Authorization: Bearer ${DEMO_KEY}\r\nContent-Type: application/json\r\n${headers}\r\n${body}`,
  ));
  return conn;
}

async function readHead(conn: Deno.TcpConn, ms: number): Promise<string> {
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    const n = await conn.read(buffer);
    return n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("a client that leaves while sending its body is logged as 499 at info, not an error", async () => {
  const stack = await startStack();
  try {
    for (const headers of ["Content-Length: 5000\r\n", "Transfer-Encoding: chunked\r\n"]) {
      const before = stack.logRecords().length;
      const body = headers.startsWith("Content") ? '{"model":' : '9\r\n{"model":\r\n';
      const conn = await rawPost(stack, headers, body);
      await new Promise((resolve) => setTimeout(resolve, 50));
      conn.close();
      await waitFor(
        () => stack.logRecords().slice(before).some((record) => record.msg === "request"),
        5_000,
      );
      const lines = stack.logRecords().slice(before);
      const request = lines.find((record) => record.msg === "request")!;
      assert.equal(request.status, 499, JSON.stringify(lines));
      assert.equal(request.level, "info");
      assert.ok(!lines.some((record) => record.level === "error"), JSON.stringify(lines));
    }
  } finally {
    await stack.close();
  }
});

Deno.test("a body slower than REQUEST_BODY_TIMEOUT_MS ends with a 408, and the gateway goes on", async () => {
  const stack = await startStack({ env: { REQUEST_BODY_TIMEOUT_MS: "300" } });
  const conns: Deno.TcpConn[] = [];
  try {
    for (const headers of ["Content-Length: 5000\r\n", "Transfer-Encoding: chunked\r\n"]) {
      const body = headers.startsWith("Content") ? '{"model":' : '9\r\n{"model":\r\n';
      const conn = await rawPost(stack, headers, body);
      conns.push(conn);
      // A byte now and then, never the whole body.
      const dribble = setInterval(() => {
        conn.write(new TextEncoder().encode(headers.startsWith("Content") ? " " : "1\r\n \r\n"))
          .catch(() => {});
      }, 100);
      const started = Date.now();
      const head = await readHead(conn, 5_000);
      clearInterval(dribble);
      assert.match(head, /^HTTP\/1\.1 408 /);
      assert.match(head, /request_timeout/);
      assert.ok(Date.now() - started < 2_000, "answered at the deadline, not later");
      const chat = await postTo(stack, "/chat/completions", {
        model: "GigaChat-2-Max",
        messages: HI,
      });
      assert.equal(chat.status, 200);
      await chat.body?.cancel();
    }
    assert.ok(!stack.logRecords().some((record) => record.level === "error"));
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed by the gateway.
      }
    }
    await stack.close();
  }
});
