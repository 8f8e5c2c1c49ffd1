import assert from "node:assert/strict";
import { functionsStateIdOf, toToolCallId } from "../../../lib/mapping/tool_call_id.ts";

// functions_state_id of the recorded function-call sample (chat_response_function_call.json).
const STATE_ID = "77d3fb14-457e-46f5-9a8b-d0c6ecd4bbd5";
const GENERATED = /^call_gw[0-9a-f]{32}$/;

Deno.test("toToolCallId carries functions_state_id in the id", async (t) => {
  const rows = [
    { name: "uuid", stateId: STATE_ID, expected: `call_${STATE_ID}` },
    {
      name: "upper-case uuid",
      stateId: "77D3FB14-457E-46F5-9A8B-D0C6ECD4BBD5",
      expected: "call_77D3FB14-457E-46F5-9A8B-D0C6ECD4BBD5",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(toToolCallId(row.stateId), row.expected));
  }
});

Deno.test("toToolCallId generates call_gw ids when there is no usable state id", async (t) => {
  const rows: { name: string; stateId: string | undefined }[] = [
    { name: "undefined", stateId: undefined },
    { name: "empty", stateId: "" },
    { name: "not a uuid", stateId: "state-1" },
    { name: "uuid with a suffix", stateId: `${STATE_ID}x` },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.match(toToolCallId(row.stateId), GENERATED));
  }
  await t.step("two generated ids differ", () => {
    assert.notEqual(toToolCallId(undefined), toToolCallId(undefined));
  });
});

Deno.test("functionsStateIdOf reads the state id back from a tool-call id", async (t) => {
  const rows: { name: string; id: string; expected: string | undefined }[] = [
    { name: "call_<uuid>", id: `call_${STATE_ID}`, expected: STATE_ID },
    { name: "fc_<uuid> (Responses API style)", id: `fc_${STATE_ID}`, expected: STATE_ID },
    { name: "bare uuid", id: STATE_ID, expected: STATE_ID },
    {
      name: "generated call_gw id",
      id: "call_gw0123456789abcdef0123456789abcdef",
      expected: undefined,
    },
    { name: "OpenAI id", id: "call_abc123", expected: undefined },
    { name: "empty", id: "", expected: undefined },
    { name: "prefix twice", id: `call_call_${STATE_ID}`, expected: undefined },
    { name: "other prefix", id: `tool_${STATE_ID}`, expected: undefined },
    { name: "uuid with a suffix", id: `call_${STATE_ID}-1`, expected: undefined },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(functionsStateIdOf(row.id), row.expected));
  }
});

Deno.test("toToolCallId and functionsStateIdOf round-trip", async (t) => {
  await t.step("state id survives", () => {
    assert.equal(functionsStateIdOf(toToolCallId(STATE_ID)), STATE_ID);
  });
  await t.step("a generated id yields no state id", () => {
    assert.equal(functionsStateIdOf(toToolCallId(undefined)), undefined);
  });
});
