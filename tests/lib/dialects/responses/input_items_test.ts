import assert from "node:assert/strict";
import { toStoredInputItems } from "../../../../lib/dialects/responses/input_items.ts";

Deno.test("toStoredInputItems gives every item an id of its own, and messages their parts", () => {
  const items = toStoredInputItems([
    { id: "msg_1", role: "user", content: "a" },
    { id: "msg_1", role: "user", content: "b" },
    { role: "assistant", content: "c" },
    { type: "function_call_output", call_id: "call_1", output: "ok" },
  ]);
  const ids = items.map((item) => item.id as string);
  assert.equal(ids[0], "msg_1");
  assert.equal(new Set(ids).size, 4, "a repeated id is replaced");
  assert.match(ids[3], /^fc_/);
  assert.deepEqual(items[0].content, [{ type: "input_text", text: "a" }]);
  assert.deepEqual(items[2].content, [{ type: "output_text", text: "c", annotations: [] }]);
  assert.equal(items[2].type, "message");
});
