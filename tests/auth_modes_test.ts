// Every way GigaChat authenticates a server-side gateway (issue #27): an authorization key (the
// other tests), a user and password at `{api}/token` (API-chat.md §1.2), a ready access token.
import assert from "node:assert/strict";
import { FakeGigaChat } from "../fake_gigachat/server.ts";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";

async function chat(baseURL: string) {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "GigaChat-2-Max", messages: [{ role: "user", content: "Hi" }] }),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test("GIGACHAT_USER and GIGACHAT_PASSWORD: the token comes from {api}/token, once", async () => {
  const stack = await startStack({
    fake: { users: { anna: "pa:ss" } },
    env: { GIGACHAT_USER: "anna", GIGACHAT_PASSWORD: "pa:ss" },
  });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await chat(stack.baseURL)).status, 200);
    assert.equal(stack.fake.tokenCalls, 1, "one token for the three requests");
    assert.equal(stack.fake.oauthCalls, 0, "no OAuth exchange");
    const asked = stack.fake.requests.find((request) => request.path.endsWith("/token"));
    assert.equal(asked?.headers.authorization, `Basic ${btoa("anna:pa:ss")}`);
    assert.equal(asked?.body, "", "no body");
  } finally {
    await stack.close();
  }
  const wrong = await startStack({
    fake: { users: { anna: "pa:ss" } },
    env: { GIGACHAT_USER: "anna", GIGACHAT_PASSWORD: "wrong-password" },
  });
  try {
    const { status, body } = await chat(wrong.baseURL);
    assert.equal(status, 500);
    assert.equal(body.error.code, "gateway_misconfigured");
    assert.match(body.error.message, /GIGACHAT_USER and GIGACHAT_PASSWORD/);
    assert.ok(wrong.logs.every((line) => !line.includes("wrong-password")), "never logged");
    assert.ok(
      wrong.logs.some((line) => line.includes("GIGACHAT_USER and GIGACHAT_PASSWORD refused")),
    );
  } finally {
    await wrong.close();
  }
});

Deno.test("GIGACHAT_ACCESS_TOKEN: used as it is, and named when GigaChat refuses it", async () => {
  const stack = await startStack({
    fake: { staticTokens: ["ready-token-1"] },
    env: { GIGACHAT_ACCESS_TOKEN: "ready-token-1" },
  });
  try {
    assert.equal((await chat(stack.baseURL)).status, 200);
    assert.equal(stack.fake.oauthCalls + stack.fake.tokenCalls, 0, "no exchange at all");
    const sent = stack.fake.requests.find((request) => request.path.endsWith("/chat/completions"));
    assert.equal(sent?.headers.authorization, "Bearer ready-token-1");
  } finally {
    await stack.close();
  }
  const refused = await startStack({ env: { GIGACHAT_ACCESS_TOKEN: "expired-token" } });
  try {
    const { status, body } = await chat(refused.baseURL);
    assert.equal(status, 500);
    assert.match(body.error.message, /GIGACHAT_ACCESS_TOKEN/);
    assert.ok(refused.logs.every((line) => !line.includes("expired-token")), "never logged");
  } finally {
    await refused.close();
  }
});

Deno.test("mutual TLS: a client certificate on every connection; none is refused; an encrypted key is named", async () => {
  const dir = await Deno.makeTempDir();
  const fake = await FakeGigaChat.start({ requireClientCert: true });
  try {
    const tls = fake.tls;
    await Deno.writeTextFile(`${dir}/client.pem`, tls.clientCertPem);
    await Deno.writeTextFile(`${dir}/client.key`, tls.clientKeyPem);
    const env = {
      GIGACHAT_CREDENTIALS: DEMO_KEY,
      GIGACHAT_CLIENT_CERT_FILE: `${dir}/client.pem`,
      GIGACHAT_CLIENT_KEY_FILE: `${dir}/client.key`,
    };
    const stack = await startStack({ sharedFake: fake, env });
    try {
      assert.equal((await chat(stack.baseURL)).status, 200, "OAuth and chat over mutual TLS");
    } finally {
      await stack.close();
    }
    const without = await startStack({ sharedFake: fake, env: { GIGACHAT_CREDENTIALS: DEMO_KEY } });
    try {
      const { status } = await chat(without.baseURL);
      assert.ok(status >= 500, `refused without a certificate (${status})`);
    } finally {
      await without.close();
    }
    await Deno.writeTextFile(
      `${dir}/encrypted.key`,
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    await assert.rejects(
      startStack({
        sharedFake: fake,
        env: { ...env, GIGACHAT_CLIENT_KEY_FILE: `${dir}/encrypted.key` },
      }),
      /GIGACHAT_CLIENT_KEY_FILE .* is encrypted.*openssl pkey/,
    );
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
