import assert from "node:assert/strict";
import { dialectOf, GatewayMetrics } from "../../lib/metrics.ts";

Deno.test("GatewayMetrics renders Prometheus text: counters, gauges, cumulative histograms", () => {
  const metrics = new GatewayMetrics(["GigaChat-2-Max"]);
  metrics.observeRequest({
    route: "/chat/completions",
    status: 200,
    model: "GigaChat-2-Max",
    durationMs: 30,
    ttfbMs: undefined,
  });
  metrics.observeRequest({
    route: "/chat/completions",
    status: 200,
    model: "GigaChat-2-Max",
    durationMs: 700,
    ttfbMs: 4,
  });
  metrics.openStreams.add([], 1);
  const text = metrics.render();
  assert.ok(text.endsWith("\n"));
  assert.match(text, /^# TYPE gigachat_gateway_requests_total counter$/m);
  assert.match(
    text,
    /^gigachat_gateway_requests_total\{route="\/chat\/completions",dialect="chat_completions",status="200",model="GigaChat-2-Max"\} 2$/m,
  );
  assert.match(
    text,
    /^gigachat_gateway_request_duration_seconds_bucket\{route="\/chat\/completions",dialect="chat_completions",le="0\.05"\} 1$/m,
  );
  assert.match(
    text,
    /^gigachat_gateway_request_duration_seconds_bucket\{route="\/chat\/completions",dialect="chat_completions",le="1"\} 2$/m,
  );
  assert.match(
    text,
    /^gigachat_gateway_request_duration_seconds_bucket\{route="\/chat\/completions",dialect="chat_completions",le="\+Inf"\} 2$/m,
  );
  assert.match(
    text,
    /^gigachat_gateway_request_duration_seconds_sum\{route="\/chat\/completions",dialect="chat_completions"\} 0\.73$/m,
  );
  assert.match(text, /^gigachat_gateway_time_to_first_byte_seconds_count\{[^}]*\} 1$/m);
  assert.match(text, /^gigachat_gateway_open_streams 1$/m);
  // A label-less family nobody touched still shows its zero.
  assert.match(text, /^gigachat_gateway_queue_length 0$/m);
});

Deno.test("GatewayMetrics keeps model labels bounded and label values escaped", () => {
  const metrics = new GatewayMetrics(["GigaChat-2"]);
  for (let i = 0; i < 100; i++) metrics.observeTokens(`made-up-${i}`, 5, 1);
  metrics.observeTokens("GigaChat-2", 7, 0);
  assert.equal(metrics.tokens.get(["other", "in"]), 500);
  assert.equal(metrics.tokens.get(["other", "out"]), 100);
  assert.equal(metrics.tokens.get(["GigaChat-2", "in"]), 7);
  assert.equal(metrics.tokens.get(["GigaChat-2", "out"]), 0, "a zero is not counted");
  metrics.observeRequest({
    route: 'a"b\\c\nd',
    status: 404,
    model: undefined,
    durationMs: 1,
    ttfbMs: undefined,
  });
  assert.match(metrics.render(), /route="a\\"b\\\\c\\nd"/);
});

Deno.test("dialectOf names each route's dialect", async (t) => {
  const rows: [string, string][] = [
    ["/chat/completions", "chat_completions"],
    ["/responses", "responses"],
    ["/responses/:id/input_items", "responses"],
    ["/messages/count_tokens", "messages"],
    ["/embeddings", "embeddings"],
    ["/files/:id/content", "files"],
    ["/models/:id", "models"],
    ["/health", "gateway"],
    ["unknown", "gateway"],
  ];
  for (const [route, dialect] of rows) {
    await t.step(route, () => assert.equal(dialectOf(route), dialect));
  }
});

Deno.test("GatewayMetrics reports the process's memory as of each rendering", () => {
  const metrics = new GatewayMetrics([]);
  const read = (text: string, kind: string) =>
    Number(
      new RegExp(`^gigachat_gateway_memory_bytes\\{kind="${kind}"\\} (\\d+)$`, "m")
        .exec(text)?.[1],
    );
  const first = metrics.render();
  for (const kind of ["rss", "heap_used", "heap_total", "external"]) {
    assert.ok(read(first, kind) > 0, kind);
  }
  assert.ok(read(first, "heap_used") <= read(first, "heap_total"));
  // A gauge, not a running sum: a second rendering is near the first, not twice it.
  const second = metrics.render();
  assert.ok(read(second, "rss") < read(first, "rss") * 1.5);
});

Deno.test("GatewayMetrics keeps series apart that share some label values", () => {
  const metrics = new GatewayMetrics(["GigaChat-2"]);
  metrics.cacheLookup("tokens", true);
  metrics.cacheLookup("tokens", true);
  metrics.cacheLookup("tokens", false);
  metrics.cacheLookup("models", true);
  metrics.observeTokens("GigaChat-2", 3, 4);
  assert.equal(metrics.cache.get(["tokens", "hit"]), 2);
  assert.equal(metrics.cache.get(["tokens", "miss"]), 1);
  assert.equal(metrics.cache.get(["models", "hit"]), 1);
  assert.equal(metrics.cache.get(["models", "miss"]), 0);
  assert.equal(metrics.cache.get(["tokens"]), 0, "a prefix of a series is no series");
  assert.throws(() => metrics.cache.add(["tokens"]), RangeError);
  const text = metrics.render();
  // Reading a value that was never counted adds no series.
  assert.doesNotMatch(text, /cache="models",result="miss"/);
  assert.equal(text.match(/^gigachat_gateway_cache_lookups_total\{/gm)?.length, 3);
  assert.match(text, /^gigachat_gateway_tokens_total\{model="GigaChat-2",direction="out"\} 4$/m);
});
