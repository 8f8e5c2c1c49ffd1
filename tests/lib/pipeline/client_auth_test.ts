import assert from "node:assert/strict";
import type { Config } from "../../../lib/config.ts";
import { GatewayError } from "../../../lib/errors.ts";
import { createAuthenticator, presentedKey } from "../../../lib/pipeline/client_auth.ts";

type AuthConfig = Pick<Config, "credentials" | "proxyApiKeys" | "scope" | "corsOrigins">;

function request(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:8080/v1/models", { headers });
}

/** Asserts `promise` rejects with a 401 GatewayError carrying `code`. */
async function assertRejected401(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof GatewayError);
    assert.equal(e.status, 401);
    assert.equal(e.type, "authentication_error");
    assert.equal(e.code, code);
    return true;
  });
}

Deno.test("presentedKey reads Bearer or x-api-key", async (t) => {
  const rows: { name: string; headers: Record<string, string>; expected: string | undefined }[] = [
    { name: "Bearer", headers: { authorization: "Bearer client-key-1" }, expected: "client-key-1" },
    { name: "lower-case bearer", headers: { authorization: "bearer k1" }, expected: "k1" },
    { name: "extra spaces", headers: { authorization: "Bearer   k1  " }, expected: "k1" },
    { name: "x-api-key", headers: { "x-api-key": " k2 " }, expected: "k2" },
    {
      name: "Bearer wins over x-api-key",
      headers: { authorization: "Bearer k1", "x-api-key": "k2" },
      expected: "k1",
    },
    {
      name: "Basic falls back to x-api-key",
      headers: { authorization: "Basic dXNlcjpwYXNz", "x-api-key": "k2" },
      expected: "k2",
    },
    { name: "Basic alone", headers: { authorization: "Basic dXNlcjpwYXNz" }, expected: undefined },
    { name: "empty Bearer", headers: { authorization: "Bearer " }, expected: undefined },
    {
      name: "Bearer with two words",
      headers: { authorization: "Bearer a b" },
      expected: undefined,
    },
    { name: "blank x-api-key", headers: { "x-api-key": "  " }, expected: undefined },
    { name: "nothing", headers: {}, expected: undefined },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(presentedKey(request(row.headers)), row.expected));
  }
});

// SHA-256 of "<scope>\n<key>", computed outside the code under test (printf ... | sha256sum).
const ID_PERS_CLIENT_KEY_1 = "27a7370ce41064ec2e6ad306c78724715bc688b948ba5294c3df3d020a9c16d4";
const ID_B2B_CLIENT_KEY_1 = "691a88d91ea41d488d45b8cae488ac05351ca31ab38b58f46f37a92e3e840044";
const ID_PERS_SERVER_KEY = "75d312d7e7a9a97851be4dd95f3c2bebd25455949db8a6d248b67274ee7e3906";

Deno.test("createAuthenticator pass-through uses the client's key as the GigaChat key", async (t) => {
  const config: AuthConfig = {
    credentials: undefined,
    proxyApiKeys: [],
    corsOrigins: [],
    scope: "GIGACHAT_API_PERS",
  };
  const authenticate = await createAuthenticator(config);
  await t.step("Bearer", async () => {
    assert.deepEqual(await authenticate(request({ authorization: "Bearer client-key-1" })), {
      key: "client-key-1",
      scope: "GIGACHAT_API_PERS",
      id: ID_PERS_CLIENT_KEY_1,
    });
  });
  await t.step("x-api-key", async () => {
    const credential = await authenticate(request({ "x-api-key": "client-key-1" }));
    assert.equal(credential.key, "client-key-1");
    assert.equal(credential.id, ID_PERS_CLIENT_KEY_1);
  });
  await t.step("id is 64 hex chars, never the key, and differs by scope", async () => {
    const b2b = await createAuthenticator({ ...config, scope: "GIGACHAT_API_B2B" });
    const credential = await b2b(request({ authorization: "Bearer client-key-1" }));
    assert.match(credential.id, /^[0-9a-f]{64}$/);
    assert.equal(credential.id, ID_B2B_CLIENT_KEY_1);
    assert.notEqual(credential.id, ID_PERS_CLIENT_KEY_1);
    assert.notEqual(credential.id, credential.key);
  });
  await t.step("missing key is 401 missing_api_key", async () => {
    await assertRejected401(authenticate(request({})), "missing_api_key");
  });
});

Deno.test("createAuthenticator server-side without PROXY_API_KEYS serves everyone", async (t) => {
  const authenticate = await createAuthenticator({
    credentials: "server-key-0001",
    proxyApiKeys: [],
    corsOrigins: [],
    scope: "GIGACHAT_API_PERS",
  });
  const expected = { key: "server-key-0001", scope: "GIGACHAT_API_PERS", id: ID_PERS_SERVER_KEY };
  await t.step("no key", async () => assert.deepEqual(await authenticate(request({})), expected));
  await t.step("any key", async () => {
    assert.deepEqual(await authenticate(request({ authorization: "Bearer whatever" })), expected);
  });
});

Deno.test("createAuthenticator server-side with PROXY_API_KEYS checks the client's key", async (t) => {
  const authenticate = await createAuthenticator({
    credentials: "server-key-0001",
    proxyApiKeys: ["proxy-a", "proxy-b"],
    corsOrigins: [],
    scope: "GIGACHAT_API_PERS",
  });
  const expected = { key: "server-key-0001", scope: "GIGACHAT_API_PERS", id: ID_PERS_SERVER_KEY };
  // The owner is the proxy key's HMAC under the gateway's key: what one proxy key stores,
  // another cannot read, and the stored id does not give the proxy key away.
  const hmac = async (text: string) => {
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("server-key-0001"),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text));
    return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  };
  await t.step("first key by Bearer", async () => {
    assert.deepEqual(await authenticate(request({ authorization: "Bearer proxy-a" })), {
      ...expected,
      owner: await hmac("proxy-a"),
    });
  });
  await t.step("second key by x-api-key", async () => {
    assert.deepEqual(await authenticate(request({ "x-api-key": "proxy-b" })), {
      ...expected,
      owner: await hmac("proxy-b"),
    });
  });
  await t.step("missing key", async () => {
    await assertRejected401(authenticate(request({})), "missing_api_key");
  });
  await t.step("wrong key", async () => {
    await assertRejected401(
      authenticate(request({ authorization: "Bearer proxy-c" })),
      "invalid_api_key",
    );
  });
  await t.step("prefix of a key", async () => {
    await assertRejected401(
      authenticate(request({ authorization: "Bearer proxy-" })),
      "invalid_api_key",
    );
  });
  await t.step("the GigaChat key itself is not a proxy key", async () => {
    await assertRejected401(
      authenticate(request({ authorization: "Bearer server-key-0001" })),
      "invalid_api_key",
    );
  });
});

Deno.test("createAuthenticator without PROXY_API_KEYS refuses web pages and foreign hosts", async (t) => {
  const authenticate = await createAuthenticator({
    credentials: "server-key",
    proxyApiKeys: [],
    scope: "GIGACHAT_API_PERS",
    corsOrigins: ["https://trusted.test"],
  });
  const refused = async (
    headers: Record<string, string>,
    url = "http://127.0.0.1:8080/v1/models",
  ) => {
    await assert.rejects(authenticate(new Request(url, { headers })), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 403);
      assert.equal(error.code, "forbidden_origin");
      return true;
    });
  };
  await t.step("a page from another origin", () => refused({ origin: "https://evil.test" }));
  await t.step("a rebound host name", () => refused({}, "http://evil.test:8080/v1/models"));
  await t.step("curl on loopback", async () => {
    assert.equal((await authenticate(request({}))).key, "server-key");
  });
  await t.step("a page from a CORS_ORIGINS origin", async () => {
    assert.equal(
      (await authenticate(request({ origin: "https://trusted.test" }))).key,
      "server-key",
    );
  });
});
