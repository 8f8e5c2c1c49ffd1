import assert from "node:assert/strict";
import { type Config, CONFIG_VARIABLES, ConfigError, loadConfig } from "../../lib/config.ts";
import { BUILT_IN_CAPABILITIES, capabilitiesOf } from "../../lib/model_capabilities.ts";

const DEFAULTS: Config = {
  port: 8080,
  host: "127.0.0.1",
  apiUrl: "https://api.giga.chat/v1",
  authUrl: "https://ngw.devices.sberbank.ru:9443/api/v2/oauth",
  scope: "GIGACHAT_API_PERS",
  tokenRefreshBufferMs: 300_000,
  caFile: undefined,
  credentials: undefined,
  credentialKind: { kind: "oauth", setting: "GIGACHAT_CREDENTIALS", secrets: [] },
  pool: undefined,
  poolRetryMs: 60_000,
  clientCertificate: undefined,
  proxyApiKeys: [],
  modelAliases: {},
  requestTimeoutMs: 600_000,
  connectTimeoutMs: 30_000,
  maxBodyBytes: 26_214_400,
  requestBodyTimeoutMs: 60_000,
  logLevel: "info",
  corsOrigins: [],
  upstreamMaxAttempts: 3,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 20_000,
  modelsCacheTtlMs: 60_000,
  credentialCacheSize: 1000,
  maxOutputTokens: 32768,
  structuredOutputMode: "function",
  shutdownTimeoutMs: 30000,
  streamKeepaliveMs: 15000,
  streamIdleTimeoutMs: 120000,
  streamClientTimeoutMs: 30000,
  embeddingsModel: "Embeddings",
  embeddingsBatchSize: 90,
  allowPrivateImageUrls: false,
  capabilities: BUILT_IN_CAPABILITIES,
  imageFetchTimeoutMs: 10000,
  uploadCacheTtlMs: 3600000,
  responsesStore: { maxEntries: 1000, maxBytes: 67_108_864, ttlMs: 86_400_000 },
  backends: {
    default: "v1",
    rules: [],
    v2Url: "https://api.giga.chat/v2/chat/completions",
    v2Tools: [],
  },
  metricsToken: undefined,
  admin: { token: undefined, dataDir: "data" },
  prices: {},
  fallbacks: {},
  redisUrl: undefined,
  drainDelayMs: 0,
  connections: { maxConnections: 4096, headTimeoutMs: 20_000, idleTimeoutMs: 75_000 },
  queue: { concurrency: 0, perModel: false, maxWaiting: 100, timeoutMs: 30_000 },
};

/** The ConfigError `loadConfig` throws for `env`; fails the test when it does not throw one. */
function configError(env: Readonly<Record<string, string | undefined>>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

Deno.test("loadConfig gives the defaults for an empty environment", () => {
  assert.deepEqual(loadConfig({}), DEFAULTS);
});

const VARIABLES = [
  "PORT",
  "HOST",
  "GIGACHAT_API_URL",
  "GIGACHAT_AUTH_URL",
  "GIGACHAT_DEFAULT_SCOPE",
  "TOKEN_REFRESH_BUFFER_MS",
  "GIGACHAT_CA_FILE",
  "GIGACHAT_CREDENTIALS",
  "GIGACHAT_CLIENT_CERT_FILE",
  "GIGACHAT_CLIENT_KEY_FILE",
  "GIGACHAT_USER",
  "GIGACHAT_PASSWORD",
  "GIGACHAT_ACCESS_TOKEN",
  "PROXY_API_KEYS",
  "MODEL_ALIASES",
  "REQUEST_BODY_TIMEOUT_MS",
  "REQUEST_TIMEOUT_MS",
  "CONNECT_TIMEOUT_MS",
  "MAX_BODY_BYTES",
  "LOG_LEVEL",
  "CORS_ORIGINS",
  "UPSTREAM_MAX_ATTEMPTS",
  "RETRY_BASE_DELAY_MS",
  "RETRY_MAX_DELAY_MS",
  "MODELS_CACHE_TTL_MS",
  "TOKEN_CACHE_SIZE",
  "MAX_OUTPUT_TOKENS",
  "STRUCTURED_OUTPUT_MODE",
  "SHUTDOWN_TIMEOUT_MS",
  "STREAM_KEEPALIVE_MS",
  "STREAM_IDLE_TIMEOUT_MS",
  "STREAM_CLIENT_TIMEOUT_MS",
  "EMBEDDINGS_MODEL",
  "EMBEDDINGS_BATCH_SIZE",
  "ALLOW_PRIVATE_IMAGE_URLS",
  "MODEL_CAPABILITIES",
  "VISION_MODELS",
  "IMAGE_FETCH_TIMEOUT_MS",
  "UPLOAD_CACHE_TTL_MS",
  "RESPONSES_STORE_MAX",
  "RESPONSES_STORE_MAX_BYTES",
  "RESPONSES_STORE_TTL_MS",
  "GIGACHAT_BACKEND",
  "GIGACHAT_MODEL_BACKENDS",
  "GIGACHAT_V2_URL",
  "GIGACHAT_V2_TOOLS",
  "METRICS_TOKEN",
  "ADMIN_TOKEN",
  "DATA_DIR",
  "MODEL_PRICES",
  "MODEL_FALLBACKS",
  "GIGACHAT_POOL",
  "POOL_RETRY_MS",
  "REDIS_URL",
  "DRAIN_DELAY_MS",
  "UPSTREAM_CONCURRENCY",
  "UPSTREAM_CONCURRENCY_PER_MODEL",
  "QUEUE_MAX",
  "QUEUE_TIMEOUT_MS",
  "MAX_CONNECTIONS",
  "HEADERS_TIMEOUT_MS",
  "KEEP_ALIVE_TIMEOUT_MS",
];

Deno.test("CONFIG_VARIABLES lists every variable loadConfig reads", () => {
  assert.deepEqual([...CONFIG_VARIABLES].sort(), [...VARIABLES].sort());
});

Deno.test("loadConfig treats empty and blank strings as unset", async (t) => {
  for (const blank of ["", "   "]) {
    await t.step(JSON.stringify(blank), () => {
      const env = Object.fromEntries(VARIABLES.map((name) => [name, blank]));
      assert.deepEqual(loadConfig(env), DEFAULTS);
    });
  }
});

Deno.test("loadConfig reads numbers, levels and lists", async (t) => {
  const rows: { name: string; env: Record<string, string>; expected: Partial<Config> }[] = [
    { name: "PORT 0", env: { PORT: "0" }, expected: { port: 0 } },
    { name: "PORT padded", env: { PORT: " 9000 " }, expected: { port: 9000 } },
    { name: "LOG_LEVEL upper case", env: { LOG_LEVEL: "DEBUG" }, expected: { logLevel: "debug" } },
    {
      name: "PROXY_API_KEYS split and trimmed",
      env: { PROXY_API_KEYS: " k1 ,k2,, k3 " },
      expected: { proxyApiKeys: ["k1", "k2", "k3"] },
    },
    {
      name: "CORS_ORIGINS list",
      env: { CORS_ORIGINS: "https://a.example,https://b.example" },
      expected: { corsOrigins: ["https://a.example", "https://b.example"] },
    },
    {
      name: "GIGACHAT_CA_FILE trimmed",
      env: { GIGACHAT_CA_FILE: " /etc/ca.pem " },
      expected: { caFile: "/etc/ca.pem" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(loadConfig(row.env), { ...DEFAULTS, ...row.expected });
    });
  }
});

Deno.test("loadConfig reads the backend settings", async (t) => {
  const rows: { name: string; env: Record<string, string>; expected: Config["backends"] }[] = [
    {
      name: "v2 for every model, address derived from the old host",
      env: {
        GIGACHAT_BACKEND: "V2",
        GIGACHAT_API_URL: "https://gigachat.devices.sberbank.ru/api/v1",
      },
      expected: {
        default: "v2",
        rules: [],
        v2Url: "https://gigachat.devices.sberbank.ru/api/v2/chat/completions",
        v2Tools: [],
      },
    },
    {
      name: "per-model rules, a prefix and an exact name",
      env: { GIGACHAT_MODEL_BACKENDS: "GigaChat-3*=v2, GigaChat-2-Max = V1" },
      expected: {
        default: "v1",
        rules: [
          { model: "GigaChat-3", prefix: true, backend: "v2" },
          { model: "GigaChat-2-Max", prefix: false, backend: "v1" },
        ],
        v2Url: "https://api.giga.chat/v2/chat/completions",
        v2Tools: [],
      },
    },
    {
      name: "an explicit v2 address and tools",
      env: {
        GIGACHAT_V2_URL: "https://gw.example/giga/v2/chat/completions/",
        GIGACHAT_V2_TOOLS: "url_content_extraction",
      },
      expected: {
        default: "v1",
        rules: [],
        v2Url: "https://gw.example/giga/v2/chat/completions",
        v2Tools: ["url_content_extraction"],
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(loadConfig(row.env).backends, row.expected));
  }
  await t.step("v2 with an address that cannot be derived", () => {
    const error = configError({
      GIGACHAT_BACKEND: "v2",
      GIGACHAT_API_URL: "https://gigachat.example/custom",
    });
    assert.match(error.message, /^GIGACHAT_V2_URL must be set/);
  });
});

Deno.test("loadConfig expands scope short forms", async (t) => {
  const rows = [
    { name: "pers", value: "pers", expected: "GIGACHAT_API_PERS" },
    { name: "B2B", value: "B2B", expected: "GIGACHAT_API_B2B" },
    { name: "padded corp", value: " corp ", expected: "GIGACHAT_API_CORP" },
    { name: "full name", value: "GIGACHAT_API_CORP", expected: "GIGACHAT_API_CORP" },
    { name: "full name lower case", value: "gigachat_api_b2b", expected: "GIGACHAT_API_B2B" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(loadConfig({ GIGACHAT_DEFAULT_SCOPE: row.value }).scope, row.expected);
    });
  }
});

Deno.test("loadConfig takes https URLs, and http only for loopback", async (t) => {
  const rows = [
    {
      name: "https, trailing slash trimmed",
      value: "https://gigachat.example/api/v1/",
      expected: "https://gigachat.example/api/v1",
    },
    {
      name: "several trailing slashes",
      value: "https://gigachat.example/api///",
      expected: "https://gigachat.example/api",
    },
    { name: "http 127.0.0.1", value: "http://127.0.0.1:9000/", expected: "http://127.0.0.1:9000" },
    {
      name: "http localhost",
      value: "http://localhost:9000/v1",
      expected: "http://localhost:9000/v1",
    },
    { name: "http [::1]", value: "http://[::1]:9000/v1/", expected: "http://[::1]:9000/v1" },
  ];
  for (const row of rows) {
    await t.step(`GIGACHAT_API_URL ${row.name}`, () => {
      assert.equal(loadConfig({ GIGACHAT_API_URL: row.value }).apiUrl, row.expected);
    });
    await t.step(`GIGACHAT_AUTH_URL ${row.name}`, () => {
      assert.equal(loadConfig({ GIGACHAT_AUTH_URL: row.value }).authUrl, row.expected);
    });
  }
});

Deno.test("loadConfig rejects each bad variable with a message starting with its name", async (t) => {
  const rows: { name: string; env: Record<string, string> }[] = [
    { name: "PORT", env: { PORT: "abc" } },
    { name: "PORT", env: { PORT: "70000" } },
    { name: "PORT", env: { PORT: "-1" } },
    { name: "PORT", env: { PORT: "1.5" } },
    { name: "GIGACHAT_API_URL", env: { GIGACHAT_API_URL: "http://gigachat.example/api/v1" } },
    { name: "GIGACHAT_API_URL", env: { GIGACHAT_API_URL: "http://0.0.0.0:9000" } },
    { name: "GIGACHAT_API_URL", env: { GIGACHAT_API_URL: "not a url" } },
    { name: "GIGACHAT_AUTH_URL", env: { GIGACHAT_AUTH_URL: "ftp://ngw.example/oauth" } },
    { name: "GIGACHAT_DEFAULT_SCOPE", env: { GIGACHAT_DEFAULT_SCOPE: "GIGACHAT_API_GOLD" } },
    { name: "TOKEN_REFRESH_BUFFER_MS", env: { TOKEN_REFRESH_BUFFER_MS: "1500001" } },
    { name: "REQUEST_TIMEOUT_MS", env: { REQUEST_TIMEOUT_MS: "0" } },
    { name: "CONNECT_TIMEOUT_MS", env: { CONNECT_TIMEOUT_MS: "soon" } },
    { name: "MAX_BODY_BYTES", env: { MAX_BODY_BYTES: "1023" } },
    { name: "LOG_LEVEL", env: { LOG_LEVEL: "verbose" } },
    { name: "UPSTREAM_MAX_ATTEMPTS", env: { UPSTREAM_MAX_ATTEMPTS: "11" } },
    { name: "RETRY_BASE_DELAY_MS", env: { RETRY_BASE_DELAY_MS: "-5" } },
    { name: "RETRY_MAX_DELAY_MS", env: { RETRY_MAX_DELAY_MS: "1e3" } },
    { name: "MODELS_CACHE_TTL_MS", env: { MODELS_CACHE_TTL_MS: "x" } },
    { name: "TOKEN_CACHE_SIZE", env: { TOKEN_CACHE_SIZE: "0" } },
    { name: "MODEL_ALIASES", env: { MODEL_ALIASES: "{bad" } },
    { name: "GIGACHAT_BACKEND", env: { GIGACHAT_BACKEND: "v3" } },
    { name: "GIGACHAT_MODEL_BACKENDS", env: { GIGACHAT_MODEL_BACKENDS: "GigaChat-3" } },
    { name: "GIGACHAT_MODEL_BACKENDS", env: { GIGACHAT_MODEL_BACKENDS: "GigaChat-3=v9" } },
    { name: "GIGACHAT_V2_URL", env: { GIGACHAT_V2_URL: "http://gigachat.example/v2" } },
    { name: "GIGACHAT_V2_TOOLS", env: { GIGACHAT_V2_TOOLS: "code_interpreter" } },
    { name: "UPSTREAM_CONCURRENCY", env: { UPSTREAM_CONCURRENCY: "-1" } },
    { name: "UPSTREAM_CONCURRENCY_PER_MODEL", env: { UPSTREAM_CONCURRENCY_PER_MODEL: "maybe" } },
    { name: "QUEUE_TIMEOUT_MS", env: { QUEUE_TIMEOUT_MS: "0" } },
    { name: "REDIS_URL", env: { REDIS_URL: "http://cache:6379" } },
    { name: "REDIS_URL", env: { REDIS_URL: "redis://cache:6379/db1" } },
    { name: "REDIS_URL", env: { REDIS_URL: "redis://cache:6379?db=1" } },
  ];
  for (const row of rows) {
    await t.step(`${row.name}=${Object.values(row.env)[0]}`, () => {
      const error = configError(row.env);
      assert.ok(error.message.startsWith(`${row.name} `), error.message);
    });
  }
});

Deno.test("loadConfig messages say what is wrong and echo the bad value", async (t) => {
  const rows = [
    {
      name: "PORT out of range",
      env: { PORT: "70000" },
      expected: 'PORT must be at most 65535 (got "70000")',
    },
    {
      name: "plain http to a remote host",
      env: { GIGACHAT_API_URL: "http://gigachat.example" },
      expected:
        'GIGACHAT_API_URL must be an https:// URL (http:// only for a loopback host) (got "http://gigachat.example")',
    },
    {
      name: "unknown scope",
      env: { GIGACHAT_DEFAULT_SCOPE: "gold" },
      expected:
        'GIGACHAT_DEFAULT_SCOPE must be PERS, B2B or CORP (or GIGACHAT_API_PERS, ...) (got "gold")',
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.equal(configError(row.env).message, row.expected));
  }
});

Deno.test("loadConfig reads MODEL_ALIASES as a JSON object of names", async (t) => {
  await t.step("valid object", () => {
    assert.deepEqual(
      loadConfig({ MODEL_ALIASES: '{"gpt-4o":"GigaChat-2-Max","gpt-4o-mini":"GigaChat-2"}' })
        .modelAliases,
      { "gpt-4o": "GigaChat-2-Max", "gpt-4o-mini": "GigaChat-2" },
    );
  });
  const rows = [
    {
      name: "not JSON",
      value: "{gpt-4o: GigaChat}",
      expected:
        'MODEL_ALIASES must be JSON, like {"gpt-4o":"GigaChat-2-Max"} (got "{gpt-4o: GigaChat}")',
    },
    {
      name: "an array",
      value: '["GigaChat"]',
      expected:
        'MODEL_ALIASES must be a JSON object of model names, like {"gpt-4o":"GigaChat-2-Max"} (got "[\\"GigaChat\\"]")',
    },
    {
      name: "null",
      value: "null",
      expected:
        'MODEL_ALIASES must be a JSON object of model names, like {"gpt-4o":"GigaChat-2-Max"} (got "null")',
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(configError({ MODEL_ALIASES: row.value }).message, row.expected);
    });
  }
  for (const value of ['{"gpt-4o":""}', '{"gpt-4o":1}', '{"":"GigaChat"}']) {
    await t.step(`rejects ${value}`, () => {
      assert.ok(configError({ MODEL_ALIASES: value }).message.startsWith("MODEL_ALIASES "));
    });
  }
});

Deno.test("loadConfig never echoes GIGACHAT_CREDENTIALS or PROXY_API_KEYS", async (t) => {
  const key = "c2VydmVyLXNpZGUtc2VjcmV0LWtleQ==";
  const proxyKey = "proxy-key-do-not-print";
  const rows = [
    { name: "refused bind", env: { GIGACHAT_CREDENTIALS: key, HOST: "0.0.0.0" } },
    { name: "another bad variable", env: { GIGACHAT_CREDENTIALS: key, PORT: "http" } },
    { name: "bad variable with proxy keys", env: { PROXY_API_KEYS: proxyKey, LOG_LEVEL: "x" } },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { message } = configError(row.env);
      assert.ok(!message.includes(key), message);
      assert.ok(!message.includes(proxyKey), message);
    });
  }
});

Deno.test("loadConfig refuses server-side credentials open to the network without PROXY_API_KEYS", async (t) => {
  const key = "c2VydmVyLXNpZGUta2V5";
  const rows: { name: string; env: Record<string, string>; allowed: boolean }[] = [
    { name: "127.0.0.1", env: { HOST: "127.0.0.1" }, allowed: true },
    { name: "::1", env: { HOST: "::1" }, allowed: true },
    { name: "localhost", env: { HOST: "localhost" }, allowed: true },
    { name: "default HOST", env: {}, allowed: true },
    { name: "0.0.0.0", env: { HOST: "0.0.0.0" }, allowed: false },
    { name: "LAN address", env: { HOST: "192.168.1.10" }, allowed: false },
    {
      name: "0.0.0.0, keys only commas",
      env: { HOST: "0.0.0.0", PROXY_API_KEYS: " , " },
      allowed: false,
    },
    { name: "0.0.0.0 with keys", env: { HOST: "0.0.0.0", PROXY_API_KEYS: "k1" }, allowed: true },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const env = { GIGACHAT_CREDENTIALS: key, ...row.env };
      if (row.allowed) {
        assert.equal(loadConfig(env).credentials, key);
      } else {
        assert.ok(configError(env).message.startsWith("PROXY_API_KEYS must be set"));
      }
    });
  }
  await t.step("pass-through on 0.0.0.0 needs no keys", () => {
    assert.equal(loadConfig({ HOST: "0.0.0.0" }).host, "0.0.0.0");
  });
});

Deno.test("MODEL_CAPABILITIES extends the table from JSON or a file; VISION_MODELS overrides vision", async (t) => {
  await t.step("a JSON object merges field by field", () => {
    const { capabilities } = loadConfig({
      MODEL_CAPABILITIES: '{"GigaChat-3-Ultra":{"vision":true},"My-Model":{"context_window":4096}}',
    });
    assert.deepEqual(capabilitiesOf(capabilities, "GigaChat-3-Ultra"), {
      context_window: 128_000,
      max_output_tokens: 8192,
      tools: true,
      vision: true,
    });
    assert.deepEqual(capabilitiesOf(capabilities, "My-Model"), { context_window: 4096 });
    assert.deepEqual(
      capabilitiesOf(capabilities, "GigaChat-2"),
      BUILT_IN_CAPABILITIES["GigaChat-2"],
    );
  });
  await t.step("a file", async () => {
    const file = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(file, '{"GigaChat-2":{"max_output_tokens":4000}}');
      const { capabilities } = loadConfig({ MODEL_CAPABILITIES: file });
      assert.equal(capabilitiesOf(capabilities, "GigaChat-2")?.max_output_tokens, 4000);
    } finally {
      await Deno.remove(file);
    }
  });
  await t.step("VISION_MODELS: the listed see, the rest of the table does not", () => {
    const { capabilities } = loadConfig({ VISION_MODELS: "GigaChat-2,Custom" });
    assert.equal(capabilitiesOf(capabilities, "GigaChat-2")?.vision, true);
    assert.equal(capabilitiesOf(capabilities, "GigaChat-2-preview")?.vision, true);
    assert.equal(capabilitiesOf(capabilities, "Custom")?.vision, true);
    assert.equal(capabilitiesOf(capabilities, "GigaChat-2-Max")?.vision, false);
    assert.equal(capabilitiesOf(capabilities, "GigaChat-3-Ultra")?.vision, false);
  });
  const bad: [string, RegExp][] = [
    ["{not json", /MODEL_CAPABILITIES must be JSON/],
    ['{"GigaChat-2":{"vision":"yes"}}', /MODEL_CAPABILITIES/],
    ['{"GigaChat-2":{"context":1}}', /MODEL_CAPABILITIES/],
    ["/no/such/file.json", /MODEL_CAPABILITIES must be a JSON object or a readable JSON file/],
  ];
  for (const [value, message] of bad) {
    await t.step(`refused: ${value}`, () => {
      assert.throws(() => loadConfig({ MODEL_CAPABILITIES: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("REDIS_URL: a database number and a password are fine; the password is never echoed", () => {
  for (const url of ["redis://:pw@127.0.0.1:6379/2", "rediss://user:pw@cache", "redis://cache/"]) {
    assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
  }
  const error = configError({ REDIS_URL: "redis://:hunter22@cache/db1" });
  assert.ok(!error.message.includes("hunter22"), error.message);
});

Deno.test("ADMIN_TOKEN: at least 16 characters, kept out of messages, and server-side mode only", () => {
  assert.throws(() => loadConfig({ ADMIN_TOKEN: "short" }), /ADMIN_TOKEN must be at least 16/);
  assert.throws(
    () => loadConfig({ ADMIN_TOKEN: "x".repeat(20) }),
    /ADMIN_TOKEN needs GIGACHAT_CREDENTIALS/,
  );
  try {
    loadConfig({ ADMIN_TOKEN: "secret-short" });
  } catch (error) {
    assert.doesNotMatch(String(error), /secret-short/);
  }
  const config = loadConfig({
    ADMIN_TOKEN: "x".repeat(20),
    GIGACHAT_CREDENTIALS: "key",
    HOST: "0.0.0.0",
  });
  assert.equal(config.admin.dataDir, "data", "keys guard a public listener without PROXY_API_KEYS");
  assert.throws(
    () =>
      loadConfig({
        ADMIN_TOKEN: "x".repeat(20),
        PROXY_API_KEYS: "x".repeat(20),
        GIGACHAT_CREDENTIALS: "key",
      }),
    /ADMIN_TOKEN must differ/,
  );
});

Deno.test("one way to authenticate: a key, a user and password, or a ready access token", () => {
  const password = loadConfig({ GIGACHAT_USER: "anna", GIGACHAT_PASSWORD: "s3cret:pass" });
  assert.equal(password.credentials, btoa("anna:s3cret:pass"));
  assert.deepEqual(password.credentialKind.secrets, ["s3cret:pass"]);
  assert.equal(password.credentialKind.kind, "password");
  assert.equal(loadConfig({ GIGACHAT_ACCESS_TOKEN: "tok" }).credentialKind.kind, "token");
  assert.throws(() => loadConfig({ GIGACHAT_USER: "anna" }), /go together/);
  assert.throws(
    () => loadConfig({ GIGACHAT_CREDENTIALS: "k", GIGACHAT_ACCESS_TOKEN: "t" }),
    /one way to authenticate/,
  );
});

Deno.test("the client certificate's two files go together", () => {
  assert.throws(() => loadConfig({ GIGACHAT_CLIENT_CERT_FILE: "c.pem" }), /go together/);
  assert.deepEqual(
    loadConfig({ GIGACHAT_CLIENT_CERT_FILE: "c.pem", GIGACHAT_CLIENT_KEY_FILE: "k.pem" })
      .clientCertificate,
    { certFile: "c.pem", keyFile: "k.pem" },
  );
});

Deno.test("MODEL_FALLBACKS: a model or a list of them per model", () => {
  assert.deepEqual(
    loadConfig({ MODEL_FALLBACKS: '{"A":"B","C":["D","E"]}' }).fallbacks,
    { A: ["B"], C: ["D", "E"] },
  );
  assert.throws(() => loadConfig({ MODEL_FALLBACKS: '{"A":[]}' }), /MODEL_FALLBACKS/);
});

Deno.test("GIGACHAT_POOL: members with their way, scope, cap and models; a file for many", async () => {
  const pool = [
    { name: "team-a", credentials: "key-a", concurrency: 10, models: ["GigaChat-2-Max"] },
    { name: "corp", user: "anna", password: "pa:ss", scope: "corp" },
    { name: "ready", access_token: "tok-1", concurrency: 1 },
    { name: "cert", client_cert_file: "c.pem", client_key_file: "k.pem" },
  ];
  const config = loadConfig({ GIGACHAT_POOL: JSON.stringify(pool), UPSTREAM_CONCURRENCY: "3" });
  assert.deepEqual(
    config.pool?.map((m) => [m.name, m.kind, m.scope, m.concurrency, m.models]),
    [
      ["team-a", "oauth", "GIGACHAT_API_PERS", 10, ["GigaChat-2-Max"]],
      ["corp", "password", "GIGACHAT_API_CORP", 3, undefined],
      ["ready", "token", "GIGACHAT_API_PERS", 1, undefined],
      ["cert", "certificate", "GIGACHAT_API_PERS", 3, undefined],
    ],
  );
  assert.equal(config.pool?.[1].key, btoa("anna:pa:ss"));
  assert.deepEqual(config.pool?.[3].clientCertificate, { certFile: "c.pem", keyFile: "k.pem" });
  // Server-side mode, every secret kept out of the log.
  assert.ok(config.credentials);
  for (const secret of ["key-a", "pa:ss", btoa("anna:pa:ss"), "tok-1"]) {
    assert.ok(config.credentialKind.secrets.includes(secret), secret);
  }
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(pool.slice(0, 1)));
    assert.equal(loadConfig({ GIGACHAT_POOL: file }).pool?.[0].name, "team-a");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("GIGACHAT_POOL: owner ids are keyed with the first member's secret, whatever follows", () => {
  const one = loadConfig({ GIGACHAT_POOL: '[{"name":"a","credentials":"key-a"}]' });
  const two = loadConfig({
    GIGACHAT_POOL: '[{"name":"a","credentials":"key-a"},{"name":"b","credentials":"key-b"}]',
  });
  assert.equal(one.credentials, "key-a");
  assert.equal(two.credentials, one.credentials, "adding a member keeps every proxy key's files");
});

Deno.test("GIGACHAT_POOL: a password of any length", () => {
  const password = "p".repeat(200_000);
  const config = loadConfig({
    GIGACHAT_POOL: JSON.stringify([{ name: "a", user: "u", password }]),
  });
  assert.equal(atob(config.pool![0].key), `u:${password}`);
});

Deno.test("GIGACHAT_POOL: a bad member is named, its secrets never shown", () => {
  const bad = (members: unknown, pattern: RegExp) => {
    let message = "";
    try {
      loadConfig({ GIGACHAT_POOL: JSON.stringify(members) });
    } catch (error) {
      message = String(error);
    }
    assert.match(message, pattern);
    assert.doesNotMatch(message, /SECRET/);
  };
  bad([], /non-empty JSON array/);
  bad({ name: "a" }, /non-empty JSON array/);
  bad([{ name: "a", credentials: "SECRET" }, { name: "b" }], /entry 2 \("b"\): needs credentials/);
  bad(
    [{ name: "a", credentials: "SECRET", access_token: "SECRET" }],
    /entry 1 \("a"\): set one way/,
  );
  bad([{ name: "a", user: "SECRET" }], /user and password go together/);
  bad([{ name: "a", credentials: "SECRET", scope: "SECRET" }], /scope must be PERS, B2B or CORP/);
  bad([{ name: "SECRET key\npasted", credentials: "k" }], /entry 1: name must be/);
  bad([{ name: "a", credentials: "k" }, { name: "b" }], /entry 2 \("b"\)/);
  bad(Array.from({ length: 1001 }, (_, i) => ({ name: `m${i}` })), /at most 1000/);
  bad([{ name: "a", credentials: "SECRET", concurrency: -1 }], /concurrency/);
  bad([{ name: "a", credentials: "SECRET", extra: 1 }], /entry 1 \("a"\)/);
  bad([{ name: "a", credentials: "SECRET" }, { name: "a", credentials: "SECRET" }], /twice/);
  bad([{ name: "a", client_cert_file: "c.pem" }], /go together/);
  bad(
    [{ name: "a", credentials: "SECRET" }, { name: "b", credentials: "SECRET" }],
    /"a" and "b" hold the same credential/,
  );
  assert.throws(
    () =>
      loadConfig({
        GIGACHAT_POOL: '[{"name":"a","credentials":"k"}]',
        GIGACHAT_CREDENTIALS: "SECRET",
      }),
    /set GIGACHAT_POOL or GIGACHAT_CREDENTIALS, not both/,
  );
  assert.throws(() => loadConfig({ GIGACHAT_POOL: "[not json" }), /must be JSON/);
  assert.throws(() => loadConfig({ GIGACHAT_POOL: "/no/such/pool.json" }), /readable JSON file/);
});
