import assert from "node:assert/strict";
import type { Handler } from "../../../lib/context.ts";
import { normalizePath, Router } from "../../../lib/http/router.ts";

Deno.test("normalizePath strips /v1, doubled and trailing slashes", async (t) => {
  const rows = [
    { path: "/v1", expected: "/" },
    { path: "/v1/", expected: "/" },
    { path: "/", expected: "/" },
    { path: "/v1/models", expected: "/models" },
    { path: "/v1/models/", expected: "/models" },
    { path: "//v1//models/", expected: "/models" },
    { path: "/models", expected: "/models" },
    { path: "/v1/chat/completions", expected: "/chat/completions" },
    // Claude Code with ANTHROPIC_BASE_URL ending in /v1 doubles it.
    { path: "/v1/v1/models", expected: "/models" },
    { path: "/v1models", expected: "/v1models" },
    { path: "/v2/models", expected: "/v2/models" },
  ];
  for (const row of rows) {
    await t.step(row.path, () => assert.equal(normalizePath(row.path), row.expected));
  }
});

const listModels: Handler = () => Promise.resolve(new Response("list"));
const getModel: Handler = () => Promise.resolve(new Response("get"));
const deleteModel: Handler = () => Promise.resolve(new Response("delete"));
const chat: Handler = () => Promise.resolve(new Response("chat"));

const router = new Router([
  { method: "GET", path: "/models", handler: listModels },
  { method: "GET", path: "/models/:model", handler: getModel },
  { method: "DELETE", path: "/models/:model", handler: deleteModel },
  { method: "POST", path: "/chat/completions", handler: chat },
]);

Deno.test("Router.match finds handlers and decodes params", async (t) => {
  const rows: { name: string; method: string; path: string; handler: Handler; params: object }[] = [
    { name: "static with /v1", method: "GET", path: "/v1/models", handler: listModels, params: {} },
    { name: "static without /v1", method: "GET", path: "/models", handler: listModels, params: {} },
    { name: "trailing slash", method: "GET", path: "/v1/models/", handler: listModels, params: {} },
    {
      name: "HEAD matches GET",
      method: "HEAD",
      path: "/v1/models",
      handler: listModels,
      params: {},
    },
    { name: "POST route", method: "POST", path: "/v1/chat/completions", handler: chat, params: {} },
    {
      name: "param",
      method: "GET",
      path: "/v1/models/GigaChat-2-Max",
      handler: getModel,
      params: { model: "GigaChat-2-Max" },
    },
    {
      name: "param, second method",
      method: "DELETE",
      path: "/models/ft:GigaChat:abc",
      handler: deleteModel,
      params: { model: "ft:GigaChat:abc" },
    },
    {
      name: "percent-encoded space",
      method: "GET",
      path: "/v1/models/Giga%20Chat",
      handler: getModel,
      params: { model: "Giga Chat" },
    },
    {
      name: "percent-encoded slash",
      method: "GET",
      path: "/v1/models/org%2FGigaChat",
      handler: getModel,
      params: { model: "org/GigaChat" },
    },
    {
      name: "malformed escape kept as sent",
      method: "GET",
      path: "/v1/models/bad%E0%A4%A",
      handler: getModel,
      params: { model: "bad%E0%A4%A" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const match = router.match(row.method, row.path);
      assert.equal(match.kind, "found");
      if (match.kind !== "found") return;
      assert.equal(match.handler, row.handler);
      assert.deepEqual(match.params, row.params);
      // The template, a bounded metrics label, never the path as sent.
      assert.ok(!match.route.includes("%") && match.route.startsWith("/"), match.route);
    });
  }
});

Deno.test("Router.match tells method_not_allowed with the allow list", async (t) => {
  const rows = [
    {
      name: "POST on a GET route",
      method: "POST",
      path: "/v1/models",
      allow: ["GET"],
      route: "/models",
    },
    {
      name: "GET on a POST route",
      method: "GET",
      path: "/v1/chat/completions",
      allow: ["POST"],
      route: "/chat/completions",
    },
    {
      name: "HEAD on a POST route",
      method: "HEAD",
      path: "/chat/completions",
      allow: ["POST"],
      route: "/chat/completions",
    },
    {
      name: "PUT on a param route",
      method: "PUT",
      path: "/v1/models/x",
      allow: ["GET", "DELETE"],
      route: "/models/:model",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(router.match(row.method, row.path), {
        kind: "method_not_allowed",
        allow: row.allow,
        route: row.route,
      });
    });
  }
});

Deno.test("Router.match says not_found for unknown paths", async (t) => {
  for (const path of ["/v1/embeddings", "/v1/models/a/b", "/v1models", "/v2/models", "/"]) {
    await t.step(path, () => assert.deepEqual(router.match("GET", path), { kind: "not_found" }));
  }
});
