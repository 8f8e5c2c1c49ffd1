import assert from "node:assert/strict";
import type { Credential } from "../../../lib/gigachat/credential.ts";
import { buildOAuthRequest, parseAccessToken } from "../../../lib/gigachat/oauth.ts";

const AUTH_URL = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth";
const CREDENTIAL: Credential = {
  key: "Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=",
  scope: "GIGACHAT_API_B2B",
  id: "0".repeat(64),
};
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("buildOAuthRequest builds the request of API-chat.md §1.1", async (t) => {
  const request = buildOAuthRequest(AUTH_URL, CREDENTIAL);
  await t.step("POST to the auth URL", () => {
    assert.equal(request.method, "POST");
    assert.equal(request.url, "https://ngw.devices.sberbank.ru:9443/api/v2/oauth");
  });
  await t.step("Basic authorization with the key as given", () => {
    assert.equal(request.headers.get("authorization"), "Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=");
  });
  await t.step("form content type and JSON accept", () => {
    assert.equal(request.headers.get("content-type"), "application/x-www-form-urlencoded");
    assert.equal(request.headers.get("accept"), "application/json");
  });
  await t.step("RqUID is a uuid4", () => {
    assert.match(request.headers.get("rquid") ?? "", UUID4);
  });
  await t.step("body is scope=<scope>", async () => {
    assert.equal(await request.text(), "scope=GIGACHAT_API_B2B");
  });
});

Deno.test("buildOAuthRequest sends a fresh RqUID on every call", () => {
  const ids = new Set<string | null>();
  for (let i = 0; i < 20; i++) {
    ids.add(buildOAuthRequest(AUTH_URL, CREDENTIAL).headers.get("rquid"));
  }
  assert.equal(ids.size, 20);
});

const SAMPLE = JSON.parse(
  await Deno.readTextFile(
    new URL("../../../fake_gigachat/samples/oauth_response.json", import.meta.url),
  ),
) as unknown;

Deno.test("parseAccessToken reads both token shapes", async (t) => {
  const rows = [
    {
      name: "recorded sample oauth_response.json: expires_at in ms (API-chat.md §1.1)",
      body: SAMPLE,
      expected: { token: "REDACTED", expiresAt: 4_102_444_800_000 },
    },
    {
      name: "{tok, exp} in seconds (API-chat.md §1.1 English page, §1.2)",
      body: { tok: "t-1", exp: 1_695_128_118 },
      expected: { token: "t-1", expiresAt: 1_695_128_118_000 },
    },
    {
      name: "{tok, exp} in ms (§1.2: SDK documents ms)",
      body: { tok: "t-2", exp: 1_695_128_118_000 },
      expected: { token: "t-2", expiresAt: 1_695_128_118_000 },
    },
    {
      name: "expires_at just below 10^12 read as seconds",
      body: { access_token: "t-3", expires_at: 999_999_999_999 },
      expected: { token: "t-3", expiresAt: 999_999_999_999_000 },
    },
    {
      name: "expires_at at 10^12 read as ms",
      body: { access_token: "t-4", expires_at: 1_000_000_000_000 },
      expected: { token: "t-4", expiresAt: 1_000_000_000_000 },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(parseAccessToken(row.body), row.expected));
  }
});

Deno.test("parseAccessToken returns undefined for bodies of neither shape", async (t) => {
  const rows: { name: string; body: unknown }[] = [
    { name: "null", body: null },
    { name: "a string", body: "token" },
    { name: "an array", body: [] },
    { name: "empty object", body: {} },
    { name: "OAuth error body", body: { code: 7, message: "scope from db not fully includes" } },
    { name: "empty token", body: { access_token: "", expires_at: 4_102_444_800_000 } },
    { name: "numeric token", body: { access_token: 5, expires_at: 4_102_444_800_000 } },
    { name: "expiry as a string", body: { access_token: "t", expires_at: "4102444800000" } },
    { name: "no expiry", body: { access_token: "t" } },
    { name: "zero expiry", body: { access_token: "t", expires_at: 0 } },
    { name: "negative expiry", body: { access_token: "t", expires_at: -1 } },
    { name: "NaN expiry", body: { access_token: "t", expires_at: Number.NaN } },
    { name: "infinite expiry", body: { tok: "t", exp: Number.POSITIVE_INFINITY } },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(parseAccessToken(row.body), undefined));
  }
});
