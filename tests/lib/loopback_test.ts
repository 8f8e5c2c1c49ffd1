import assert from "node:assert/strict";
import { isLoopbackHost } from "../../lib/loopback.ts";

Deno.test("isLoopbackHost accepts only names and addresses of this machine", async (t) => {
  const rows = [
    { host: "localhost", expected: true },
    { host: "LocalHost", expected: true },
    { host: " localhost ", expected: true },
    { host: "api.localhost", expected: true },
    { host: "127.0.0.1", expected: true },
    { host: "127.1.2.3", expected: true },
    { host: "127.255.255.255", expected: true },
    { host: "::1", expected: true },
    { host: "[::1]", expected: true },
    { host: "0:0:0:0:0:0:0:1", expected: true },
    { host: "0.0.0.0", expected: false },
    { host: "::", expected: false },
    { host: "", expected: false },
    { host: "128.0.0.1", expected: false },
    { host: "127.256.0.1", expected: false },
    { host: "127.0.0", expected: false },
    { host: "127.0.0.1.example.com", expected: false },
    { host: "localhost.example.com", expected: false },
    { host: "mylocalhost", expected: false },
    { host: "192.168.1.10", expected: false },
    { host: "gigachat.devices.sberbank.ru", expected: false },
  ];
  for (const row of rows) {
    await t.step(JSON.stringify(row.host), () => {
      assert.equal(isLoopbackHost(row.host), row.expected);
    });
  }
});
