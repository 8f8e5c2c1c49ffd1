import assert from "node:assert/strict";
import { readyUrl } from "../../lib/ready_check.ts";

Deno.test("readyUrl: wildcard addresses are asked on loopback, IPv6 in brackets", () => {
  const rows: [host: string, port: number, url: string][] = [
    ["127.0.0.1", 8080, "http://127.0.0.1:8080/ready"],
    ["0.0.0.0", 8080, "http://127.0.0.1:8080/ready"],
    ["::", 9000, "http://[::1]:9000/ready"],
    ["::1", 9000, "http://[::1]:9000/ready"],
    ["localhost", 1, "http://localhost:1/ready"],
  ];
  for (const [host, port, url] of rows) assert.equal(readyUrl(host, port), url, host);
});
