import assert from "node:assert/strict";
import { requestAuthority, requestPath } from "../../../lib/http/request_url.ts";

const URLS = [
  "http://127.0.0.1:8080/v1/chat/completions",
  "http://127.0.0.1:8080/",
  "http://localhost:8080/v1/files/file-1/content?x=1",
  "http://localhost/health#top",
  "http://[::1]:8080/v1/models?a=/b",
  "http://127.0.0.1:8080/v1/../health",
  "http://127.0.0.1:8080/v1/./models",
  "http://127.0.0.1:8080/v1/%2e%2e/health",
  "http://127.0.0.1:8080/v1/files/%41bc",
  "http://127.0.0.1:8080/v1\\models",
  "http://127.0.0.1:8080/v1/моdels",
  "http://127.0.0.1:8080/v1/a b",
  "http://evil.example:80/v1/models",
  // Deno.serve pastes the Host header in as sent; these hosts end early for URL parsing.
  "http://127.0.0.1#/v1/models/GigaChat-2-Pro?/health",
  "http://127.0.0.1?a=/b/x",
  "http://127.0.0.1\\b/x",
  // Each is percent-encoded by URL parsing.
  ...Array.from('"<>`{}', (c) => `http://127.0.0.1:8080/v1/models/a${c}b`),
];

Deno.test("requestPath agrees with new URL(url).pathname", async (t) => {
  for (const url of URLS) {
    await t.step(url, () => assert.equal(requestPath(url), new URL(url).pathname));
  }
});

Deno.test("requestAuthority is the host and port as the client sent them", () => {
  assert.equal(requestAuthority("http://127.0.0.1:8080/v1/models"), "127.0.0.1:8080");
  assert.equal(requestAuthority("http://[::1]:8080/v1/models?a=/b"), "[::1]:8080");
  assert.equal(requestAuthority("http://localhost/health#top"), "localhost");
  // A default port is kept (new URL drops it): the value is a cache key, not a parsed host.
  assert.equal(requestAuthority("http://evil.example:80/v1/models"), "evil.example:80");
  assert.equal(requestAuthority("http://localhost:8080"), "localhost:8080");
});
