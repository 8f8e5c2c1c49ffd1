// The console's server side (issue #28): signing in with the admin token for a session cookie
// that opens the admin API (changes only from the console's own page), and what the console
// shows as the admin API gives it to scripts: status, recent requests, live totals, models.
import assert from "node:assert/strict";
import { DEMO_KEY, startStack } from "./helpers/stack.ts";

const ADMIN = "console-admin-token-0123456789";

async function consoleStack(env: Record<string, string> = {}) {
  return await startStack({
    env: { GIGACHAT_CREDENTIALS: DEMO_KEY, ADMIN_TOKEN: ADMIN, DATA_DIR: ":memory:", ...env },
  });
}

function signIn(origin: string, token: string, headers: Record<string, string> = {}) {
  return fetch(`${origin}/console/session`, {
    method: "POST",
    headers: { "content-type": "application/json", origin, ...headers },
    body: JSON.stringify({ token }),
  });
}

Deno.test("console session: the admin token once, then an HttpOnly SameSite=Strict cookie", async () => {
  const stack = await consoleStack();
  try {
    const { origin } = stack;
    const wrong = await signIn(origin, "not-the-token-0123456789");
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error.code, "invalid_admin_token");
    // From another site's page: refused before the token is even looked at.
    const foreign = await signIn(origin, ADMIN, { origin: "https://evil.example" });
    assert.equal(foreign.status, 403);
    await foreign.body?.cancel();
    const ok = await signIn(origin, ADMIN);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const cookie = ok.headers.get("set-cookie")!;
    assert.match(
      cookie,
      /^gateway_console=\d+\.[0-9a-f]{32}\.[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    const secure = await signIn(origin, ADMIN, { "x-forwarded-proto": "https" });
    await secure.body?.cancel();
    assert.match(secure.headers.get("set-cookie")!, /; Secure$/);
    const session = cookie.split(";")[0];

    // The cookie reads the admin API...
    const keys = await fetch(`${origin}/admin/keys`, { headers: { cookie: session } });
    assert.equal(keys.status, 200);
    await keys.body?.cancel();
    // ...and changes it from the console's own page only.
    const make = (headers: Record<string, string>) =>
      fetch(`${origin}/admin/keys`, {
        method: "POST",
        headers: { cookie: session, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "from-console" }),
      });
    for (const headers of [{}, { origin: "https://evil.example" }] as Record<string, string>[]) {
      const refused = await make(headers);
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.equal((await refused.json()).error.code, "cross_site_request");
    }
    // Behind a proxy that gives the gateway its own Host, the public one is X-Forwarded-Host.
    const proxied = await make({ origin: "https://gw.example", "x-forwarded-host": "gw.example" });
    assert.equal(proxied.status, 201);
    await proxied.body?.cancel();
    const made = await make({ origin });
    assert.equal(made.status, 201);
    await made.body?.cancel();

    // A forged or altered cookie opens nothing.
    const [expires, id, mac] = session.split("=")[1].split(".");
    for (
      const forged of [
        `gateway_console=${Number(expires) + 1000}.${id}.${mac}`,
        `gateway_console=${expires}.${"0".repeat(32)}.${mac}`,
        `gateway_console=${expires}.${id}.${"0".repeat(64)}`,
        `gateway_console=${expires}.${mac}`,
        "gateway_console=",
      ]
    ) {
      const response = await fetch(`${origin}/admin/keys`, { headers: { cookie: forged } });
      assert.equal(response.status, 401, forged);
      await response.body?.cancel();
    }
    const readWith = async (cookie: string) => {
      const response = await fetch(`${origin}/admin/keys`, { headers: { cookie } });
      await response.body?.cancel();
      return response.status;
    };
    const sessions = async () =>
      (await (await fetch(`${origin}/admin/console-sessions`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })).json()).signed_in;
    assert.equal(await sessions(), 2, "this one and the one over TLS");
    // Signing out ends the session itself: the cookie, kept, opens nothing any more.
    const out = await fetch(`${origin}/console/session`, {
      method: "DELETE",
      headers: { origin, cookie: session },
    });
    assert.match(out.headers.get("set-cookie")!, /gateway_console=; Path=\/; Max-Age=0/);
    await out.body?.cancel();
    assert.equal(await readWith(session), 401, "a signed-out cookie");
    const state = await fetch(`${origin}/console/session`, { headers: { cookie: session } });
    assert.deepEqual(await state.json(), { signed_in: false });
    assert.equal(await sessions(), 1);
    // Signing every browser out, from one of them.
    const other = (await signIn(origin, ADMIN)).headers.get("set-cookie")!.split(";")[0];
    const third = (await signIn(origin, ADMIN)).headers.get("set-cookie")!.split(";")[0];
    const crossSite = await fetch(`${origin}/admin/console-sessions`, {
      method: "DELETE",
      headers: { cookie: other },
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    const all = await fetch(`${origin}/admin/console-sessions`, {
      method: "DELETE",
      headers: { cookie: other, origin },
    });
    assert.deepEqual(await all.json(), { object: "console.sessions", ended: 3, signed_in: 0 });
    assert.deepEqual([await readWith(other), await readWith(third)], [401, 401]);
    assert.equal(await sessions(), 0);
    // Ten wrong tokens a minute from one address, then a wait.
    for (let i = 0; i < 10; i++) await (await signIn(origin, `wrong-${i}`)).body?.cancel();
    const limited = await signIn(origin, ADMIN);
    assert.equal(limited.status, 429);
    await limited.body?.cancel();
    assert.ok(stack.logs.every((line) => !line.includes(ADMIN)), "the token is never logged");
  } finally {
    await stack.close();
  }
  const off = await startStack({ env: { GIGACHAT_CREDENTIALS: DEMO_KEY } });
  try {
    const response = await signIn(off.origin, ADMIN);
    assert.equal(response.status, 404);
    assert.equal((await response.json()).error.code, "console_off");
  } finally {
    await off.close();
  }
});

Deno.test("admin API: status, recent requests without content, live totals, the model table", async () => {
  const stack = await consoleStack();
  try {
    const { origin } = stack;
    const admin = (path: string) =>
      fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const key = await (await fetch(`${origin}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "dana" }),
    })).json();
    const secretWords = "purple elephants dancing";
    for (const model of ["GigaChat-2-Max", "GigaChat-2-Max", "GigaChat-2-Pro"]) {
      const chat = await fetch(`${stack.baseURL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: secretWords }] }),
      });
      assert.equal(chat.status, 200);
      await chat.body?.cancel();
    }
    const bad = await fetch(`${stack.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: "{",
    });
    await bad.body?.cancel();

    const requests = await (await admin("/admin/requests?key=dana")).json();
    assert.equal(requests.data.length, 4);
    const [newest, ...older] = requests.data;
    assert.equal(newest.status, 400);
    assert.equal(newest.error_code, "invalid_request_error");
    const first = older.at(-1);
    assert.equal(first.key_name, "dana");
    assert.equal(first.model, "GigaChat-2-Max");
    assert.equal(first.dialect, "chat_completions");
    assert.equal(first.status, 200);
    assert.ok(first.tokens_in > 0 && first.tokens_out > 0);
    assert.ok(first.duration_ms >= 0 && typeof first.request_id === "string");
    assert.doesNotMatch(JSON.stringify(requests), /purple|elephants/, "never message content");
    assert.equal(
      (await (await admin("/admin/requests?model=GigaChat-2-Pro")).json()).data.length,
      1,
    );
    assert.equal((await (await admin("/admin/requests?status=400")).json()).data.length, 1);
    const badLimit = await admin("/admin/requests?limit=0");
    assert.equal(badLimit.status, 400);
    await badLimit.body?.cancel();

    const live = await (await admin("/admin/live?minutes=1")).json();
    assert.equal(live.interval_s, 10);
    assert.equal(live.samples.length, 6);
    const sum = (field: string) =>
      live.samples.reduce((total: number, s: Record<string, number>) => total + s[field], 0);
    assert.equal(sum("requests"), 4, "the key's four; the admin API's own calls are not shown");
    assert.ok(sum("tokens_out") > 0);
    assert.ok(sum("errors") >= 1);

    const status = await (await admin("/admin/status")).json();
    assert.equal(status.auth_mode, "server-side");
    assert.equal(status.ready, true);
    assert.deepEqual(status.shared_store, { configured: false });
    assert.deepEqual(status.credentials.map((c: { name: string }) => c.name), ["default"]);
    assert.equal(typeof status.version, "string");

    const models = await (await admin("/admin/models")).json();
    const max = models.data.find((m: { id: string }) => m.id === "GigaChat-2-Max");
    assert.equal(max.vision, true);
    // The proxy keys and the tenants' keys never open any of it.
    const asTenant = await fetch(`${origin}/admin/status`, {
      headers: { authorization: `Bearer ${key.key}` },
    });
    assert.equal(asTenant.status, 401);
    await asTenant.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("admin API: a request that waited for the one GigaChat slot shows its wait", async () => {
  const stack = await startStack({
    env: {
      GIGACHAT_CREDENTIALS: DEMO_KEY,
      ADMIN_TOKEN: ADMIN,
      DATA_DIR: ":memory:",
      UPSTREAM_CONCURRENCY: "1",
    },
    fake: { chunkDelayMs: 60 },
  });
  try {
    const admin = (path: string) =>
      fetch(`${stack.origin}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const key = await (await fetch(`${stack.origin}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "erin" }),
    })).json();
    const chat = () =>
      fetch(`${stack.baseURL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "GigaChat-2-Max",
          stream: true,
          messages: [{ role: "user", content: "one at a time" }],
        }),
      });
    const first = await chat();
    const second = chat();
    // The first holds the slot while its stream runs; the second waits for it meanwhile.
    const during = await (await admin("/admin/live?minutes=1")).json();
    await first.text();
    await (await second).text();
    const waits = (await (await admin("/admin/requests")).json()).data
      .map((r: { queue_ms?: number }) => r.queue_ms);
    assert.equal(waits.length, 2);
    assert.ok(Math.max(...waits) >= 100, `one waited for the stream before it: ${waits}`);
    assert.ok(Math.min(...waits) < 100, `the other did not: ${waits}`);
    const samples = (await (await admin("/admin/live?minutes=1")).json()).samples;
    const peak = (field: string) =>
      Math.max(...samples.map((s: Record<string, number>) => s[field]));
    assert.equal(samples.reduce((n: number, s: { slotted: number }) => n + s.slotted, 0), 2);
    assert.ok(peak("queue_wait_ms_max") >= 100);
    assert.ok(during.open_streams >= 1 && peak("open_streams_max") >= 1);
  } finally {
    await stack.close();
  }
});
