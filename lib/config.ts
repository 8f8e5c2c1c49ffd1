import { z } from "zod";
import { isLoopbackHost } from "./loopback.ts";
import { basicPair, parsePool, type PoolMemberSetting } from "./pool_settings.ts";
import {
  BUILT_IN_CAPABILITIES,
  type CapabilityTable,
  mergeCapabilities,
  type ModelCapabilities,
} from "./model_capabilities.ts";

import { ConfigError, type Scope, SCOPES } from "./config_error.ts";

export { ConfigError, SCOPES };
export type { Scope };

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** Validated gateway configuration; built once at start-up by {@linkcode loadConfig}. */
export interface Config {
  port: number;
  host: string;
  apiUrl: string;
  authUrl: string;
  scope: Scope;
  tokenRefreshBufferMs: number;
  caFile: string | undefined;
  /** GIGACHAT_CLIENT_CERT_FILE and _KEY_FILE: a client certificate for mutual TLS with GigaChat. */
  clientCertificate: { certFile: string; keyFile: string } | undefined;
  /**
   * Server-side mode's GigaChat credential: an authorization key (GIGACHAT_CREDENTIALS), base64
   * of GIGACHAT_USER:GIGACHAT_PASSWORD, or a ready GIGACHAT_ACCESS_TOKEN; undefined: pass-through.
   */
  credentials: string | undefined;
  /**
   * How `credentials` gets its access token, the setting that holds it, and what of it must
   * never be logged besides `credentials` itself (the password as given).
   */
  credentialKind: {
    kind: "oauth" | "password" | "token" | "certificate";
    setting: string;
    secrets: readonly string[];
  };
  /**
   * GIGACHAT_POOL: several credentials with their caps and models; undefined with one
   * credential (GIGACHAT_CREDENTIALS and the like) or in pass-through mode.
   */
  pool: readonly PoolMemberSetting[] | undefined;
  /** POOL_RETRY_MS: how long a refused pool credential (401, 403, 402) stays out before a retry. */
  poolRetryMs: number;
  proxyApiKeys: readonly string[];
  modelAliases: Readonly<Record<string, string>>;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  maxBodyBytes: number;
  requestBodyTimeoutMs: number;
  logLevel: LogLevel;
  corsOrigins: readonly string[];
  upstreamMaxAttempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  modelsCacheTtlMs: number;
  /** TOKEN_CACHE_SIZE: most credentials whose tokens, model lists and uploads are kept. */
  credentialCacheSize: number;
  maxOutputTokens: number;
  structuredOutputMode: "function" | "native";
  shutdownTimeoutMs: number;
  streamKeepaliveMs: number;
  streamIdleTimeoutMs: number;
  /** A stream whose client takes nothing for this long is cut and its upstream released. */
  streamClientTimeoutMs: number;
  embeddingsModel: string;
  embeddingsBatchSize: number;
  allowPrivateImageUrls: boolean;
  /** What each model can do: the built-in table, MODEL_CAPABILITIES and VISION_MODELS. */
  capabilities: CapabilityTable;
  imageFetchTimeoutMs: number;
  uploadCacheTtlMs: number;
  /** The embedded store of /v1/responses made with `store`. */
  responsesStore: { maxEntries: number; maxBytes: number; ttlMs: number };
  /** Which GigaChat chat API serves each model, and v2's own settings. */
  backends: BackendSettings;
  /** REDIS_URL: the store several instances share; unset, everything stays in memory. */
  redisUrl: string | undefined;
  /** METRICS_TOKEN: who presents it may read /metrics. */
  metricsToken: string | undefined;
  /**
   * ADMIN_TOKEN turns on the admin API (keys as tenants); DATA_DIR is where keys and usage are
   * kept (`:memory:`: nowhere).
   */
  admin: { token: string | undefined; dataDir: string };
  /** MODEL_FALLBACKS: models to ask, in order, when GigaChat cannot answer with one (429, 5xx). */
  fallbacks: Readonly<Record<string, readonly string[]>>;
  /** MODEL_PRICES: what a million tokens in and out cost, per model (usage and money budgets). */
  prices: Readonly<Record<string, { input: number; output: number }>>;
  /** How long /ready says 503 after a shutdown signal before the listener closes. */
  drainDelayMs: number;
  /** What client connections may cost (MAX_CONNECTIONS, HEADERS_TIMEOUT_MS, ...). */
  connections: {
    maxConnections: number;
    headTimeoutMs: number;
    idleTimeoutMs: number;
  };
  /** Concurrent chat generations per credential (or per credential and model); 0: no cap. */
  queue: { concurrency: number; perModel: boolean; maxWaiting: number; timeoutMs: number };
}

/** GigaChat's two chat APIs: v1 `/chat/completions` and v2 (API-more.md §9). */
export type Backend = "v1" | "v2";

/** A GIGACHAT_MODEL_BACKENDS entry: an exact model name, or a prefix when it ends with `*`. */
export interface BackendRule {
  model: string;
  prefix: boolean;
  backend: Backend;
}

export interface BackendSettings {
  /** GIGACHAT_BACKEND: the chat API for models no rule names. */
  default: Backend;
  rules: readonly BackendRule[];
  /** The v2 chat endpoint: GIGACHAT_V2_URL, or derived from GIGACHAT_API_URL. */
  v2Url: string | undefined;
  /** GigaChat's own tools offered on every v2 request (GIGACHAT_V2_TOOLS). */
  v2Tools: readonly V2ToolSetting[];
}

/** Hosted tools an operator may turn on for every v2 request. */
export const V2_TOOL_SETTINGS = ["url_content_extraction", "web_search"] as const;
export type V2ToolSetting = typeof V2_TOOL_SETTINGS[number];

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().trim().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(
    z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );

const url = z.string().trim().refine((value) => {
  try {
    const parsed = new URL(value);
    // Plain http only for a local upstream (tests, on-prem tunnels): GigaChat itself is https.
    return parsed.protocol === "https:" ||
      (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname));
  } catch {
    return false;
  }
}, "must be an https:// URL (http:// only for a loopback host)").transform((value) =>
  value.replace(/\/+$/, "")
);

const scope = z.string().trim().transform((value) => value.toUpperCase()).transform((value) =>
  value.startsWith("GIGACHAT_API_") ? value : `GIGACHAT_API_${value}`
).pipe(z.enum(SCOPES, { message: "must be PERS, B2B or CORP (or GIGACHAT_API_PERS, ...)" }));

const list = z.string().transform((value) =>
  value.split(",").map((item) => item.trim()).filter((item) => item.length > 0)
);

/** A setting's JSON text parsed, or an issue saying what it should look like. */
function parseJsonSetting(text: string, ctx: z.RefinementCtx, example: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: `must be JSON, like ${example}` });
    return z.NEVER;
  }
}

const aliases = z.string().transform((value, ctx) =>
  parseJsonSetting(value, ctx, '{"gpt-4o":"GigaChat-2-Max"}')
).pipe(
  z.record(z.string().min(1), z.string().min(1, "must map every alias to a model name"), {
    message: 'must be a JSON object of model names, like {"gpt-4o":"GigaChat-2-Max"}',
  }),
);

const prices = z.string().transform((value, ctx) =>
  parseJsonSetting(value, ctx, '{"GigaChat-2-Max":{"input":1.95,"output":1.95}}')
).pipe(
  z.record(
    z.string().min(1),
    z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
    {
      message:
        'must be a JSON object of prices per million tokens, like {"GigaChat-2-Max":{"input":1.95,"output":1.95}}',
    },
  ),
);

const fallbacks = z.string().transform((value, ctx) =>
  parseJsonSetting(value, ctx, '{"GigaChat-3-Ultra":["GigaChat-2-Max"]}')
).pipe(
  z.record(
    z.string().min(1),
    z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(5)]),
    {
      message:
        'must be a JSON object of models and their fallbacks, like {"GigaChat-3-Ultra":["GigaChat-2-Max"]}',
    },
  ),
).transform((table) =>
  Object.fromEntries(
    Object.entries(table).map(([model, next]) => [model, typeof next === "string" ? [next] : next]),
  )
);

const capabilityEntry = z.strictObject({
  context_window: z.number().int().positive().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  vision: z.boolean().optional(),
  reasoning: z.boolean().optional(),
  tools: z.boolean().optional(),
});

// MODEL_CAPABILITIES: a JSON object, or the path of a file holding one.
const capabilities = z.string().transform((value, ctx) => {
  const text = value.trim();
  let json = text;
  if (!text.startsWith("{")) {
    try {
      json = Deno.readTextFileSync(text);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `must be a JSON object or a readable JSON file (${
          error instanceof Error ? error.message : String(error)
        })`,
      });
      return z.NEVER;
    }
  }
  return parseJsonSetting(json, ctx, '{"GigaChat-3-Ultra":{"vision":true}}');
}).pipe(z.record(z.string().min(1), capabilityEntry, {
  message: "must map model names to {context_window, max_output_tokens, vision, reasoning, tools}",
}));

const backend = z.string().trim().toLowerCase().pipe(
  z.enum(["v1", "v2"], { message: "must be v1 or v2" }),
);

const backendRules = list.transform((items, ctx): BackendRule[] =>
  items.map((item) => {
    const match = /^([^=]+)=\s*(v1|v2)$/i.exec(item);
    if (match === null) {
      ctx.addIssue({
        code: "custom",
        message: `must be model=v1 or model=v2 entries, like GigaChat-3*=v2 (got ${item})`,
      });
      return { model: "", prefix: false, backend: "v1" };
    }
    const model = match[1].trim();
    const prefix = model.endsWith("*");
    return {
      model: prefix ? model.slice(0, -1) : model,
      prefix,
      backend: match[2].toLowerCase() as Backend,
    };
  })
);

const v2Tools = list.pipe(z.array(z.enum(V2_TOOL_SETTINGS, {
  message: `must list some of ${V2_TOOL_SETTINGS.join(", ")}`,
})));

const bool = z.string().trim().toLowerCase().pipe(
  z.enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" }),
).transform((value) => ["true", "1", "yes"].includes(value));

const optionalText = z.string().trim().transform((value) => value === "" ? undefined : value)
  .optional();

const MIB = 1024 * 1024;

const schema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().trim().min(1, "must not be empty").default("127.0.0.1"),
  // Sber's public API since 2026-07-17 (HOSTS-AND-MODELS.md); keys created before then may use
  // https://gigachat.devices.sberbank.ru/api/v1 until that host is switched off.
  GIGACHAT_API_URL: url.default("https://api.giga.chat/v1"),
  GIGACHAT_AUTH_URL: url.default("https://ngw.devices.sberbank.ru:9443/api/v2/oauth"),
  GIGACHAT_DEFAULT_SCOPE: scope.default("GIGACHAT_API_PERS"),
  TOKEN_REFRESH_BUFFER_MS: int(0, 25 * 60_000).default(300_000),
  GIGACHAT_CA_FILE: optionalText,
  GIGACHAT_CLIENT_CERT_FILE: optionalText,
  GIGACHAT_CLIENT_KEY_FILE: optionalText,
  GIGACHAT_CREDENTIALS: optionalText,
  GIGACHAT_USER: optionalText,
  GIGACHAT_PASSWORD: optionalText,
  GIGACHAT_ACCESS_TOKEN: optionalText,
  GIGACHAT_POOL: optionalText,
  POOL_RETRY_MS: int(1000).default(60_000),
  PROXY_API_KEYS: list.default([]),
  MODEL_ALIASES: aliases.default({}),
  MODEL_PRICES: prices.default({}),
  MODEL_FALLBACKS: fallbacks.default({}),
  REQUEST_TIMEOUT_MS: int(1).default(600_000),
  CONNECT_TIMEOUT_MS: int(1).default(30_000),
  MAX_BODY_BYTES: int(1024).default(25 * MIB),
  REQUEST_BODY_TIMEOUT_MS: int(10).default(60_000),
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(", ")}` }),
  ).default("info"),
  CORS_ORIGINS: list.default([]),
  UPSTREAM_MAX_ATTEMPTS: int(1, 10).default(3),
  RETRY_BASE_DELAY_MS: int(0).default(500),
  RETRY_MAX_DELAY_MS: int(0).default(20_000),
  MODELS_CACHE_TTL_MS: int(0).default(60_000),
  TOKEN_CACHE_SIZE: int(1).default(1000),
  MAX_OUTPUT_TOKENS: int(1).default(32768),
  STRUCTURED_OUTPUT_MODE: z.string().trim().toLowerCase().pipe(
    z.enum(["function", "native"], { message: "must be function or native" }),
  ).default("function"),
  SHUTDOWN_TIMEOUT_MS: int(0).default(30_000),
  STREAM_KEEPALIVE_MS: int(10).default(15_000),
  STREAM_IDLE_TIMEOUT_MS: int(10).default(120_000),
  STREAM_CLIENT_TIMEOUT_MS: int(10).default(30_000),
  EMBEDDINGS_MODEL: z.string().trim().min(1).default("Embeddings"),
  EMBEDDINGS_BATCH_SIZE: int(1, 2048).default(90),
  ALLOW_PRIVATE_IMAGE_URLS: bool.default(false),
  MODEL_CAPABILITIES: capabilities.default({}),
  VISION_MODELS: list.optional(),
  IMAGE_FETCH_TIMEOUT_MS: int(100).default(10_000),
  UPLOAD_CACHE_TTL_MS: int(0).default(3_600_000),
  RESPONSES_STORE_MAX: int(0).default(1000),
  RESPONSES_STORE_MAX_BYTES: int(0).default(64 * MIB),
  RESPONSES_STORE_TTL_MS: int(0).default(86_400_000),
  // v1 until v2 is proven with real traffic (issue #15).
  GIGACHAT_BACKEND: backend.default("v1"),
  GIGACHAT_MODEL_BACKENDS: backendRules.default([]),
  GIGACHAT_V2_URL: url.optional(),
  GIGACHAT_V2_TOOLS: v2Tools.default([]),
  METRICS_TOKEN: optionalText,
  ADMIN_TOKEN: optionalText.refine(
    (value) => value === undefined || value.length >= 16,
    "must be at least 16 characters",
  ),
  DATA_DIR: z.string().trim().min(1).default("data"),
  REDIS_URL: z.string().trim().refine((value) => {
    try {
      const url = new URL(value);
      // The path, if any, is a database number, as the Redis client reads it.
      return ["redis:", "rediss:"].includes(url.protocol) && url.hostname !== "" &&
        /^(\/\d*)?$/.test(url.pathname) && url.search === "" && url.hash === "";
    } catch {
      return false;
    }
  }, "must be a redis:// or rediss:// URL, like redis://:password@host:6379/0").optional(),
  DRAIN_DELAY_MS: int(0).default(0),
  UPSTREAM_CONCURRENCY: int(0, 10_000).default(0),
  UPSTREAM_CONCURRENCY_PER_MODEL: bool.default(false),
  QUEUE_MAX: int(0).default(100),
  QUEUE_TIMEOUT_MS: int(1).default(30_000),
  // Deno raises its open-files limit to the hard limit (524288 under systemd, 1048576 in most
  // containers), so memory bounds connections by default: 4000 kept-alive ones took 133 MB
  // here. Past the descriptor limit, accept waits instead of failing (README "Connections").
  MAX_CONNECTIONS: int(1).default(4096),
  HEADERS_TIMEOUT_MS: int(100).default(20_000),
  // Above the 60 s idle limit load balancers keep (HAProxy's here, AWS ALB's), so the gateway
  // never closes a connection the balancer is about to reuse.
  KEEP_ALIVE_TIMEOUT_MS: int(100).default(75_000),
});

/** Every variable the gateway reads, for `.env` loading and the README table. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

/**
 * Validates the environment into a {@linkcode Config}.
 * Empty strings count as unset, so `PORT=` in a `.env` file falls back to the default.
 * @throws {ConfigError} naming the first bad variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const input: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") input[name] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? "configuration");
    const shown = name in input && !isSecret(name) ? ` (got ${JSON.stringify(input[name])})` : "";
    throw new ConfigError(`${name} ${issue.message}${shown}`);
  }
  const v = parsed.data;
  const config: Config = {
    port: v.PORT,
    host: v.HOST,
    apiUrl: v.GIGACHAT_API_URL,
    authUrl: v.GIGACHAT_AUTH_URL,
    scope: v.GIGACHAT_DEFAULT_SCOPE,
    tokenRefreshBufferMs: v.TOKEN_REFRESH_BUFFER_MS,
    caFile: v.GIGACHAT_CA_FILE,
    clientCertificate: clientCertificateOf(v.GIGACHAT_CLIENT_CERT_FILE, v.GIGACHAT_CLIENT_KEY_FILE),
    ...serverCredential(v),
    pool: undefined,
    poolRetryMs: v.POOL_RETRY_MS,
    proxyApiKeys: v.PROXY_API_KEYS,
    modelAliases: v.MODEL_ALIASES,
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    connectTimeoutMs: v.CONNECT_TIMEOUT_MS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    requestBodyTimeoutMs: v.REQUEST_BODY_TIMEOUT_MS,
    logLevel: v.LOG_LEVEL,
    corsOrigins: v.CORS_ORIGINS,
    upstreamMaxAttempts: v.UPSTREAM_MAX_ATTEMPTS,
    retryBaseDelayMs: v.RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: v.RETRY_MAX_DELAY_MS,
    modelsCacheTtlMs: v.MODELS_CACHE_TTL_MS,
    credentialCacheSize: v.TOKEN_CACHE_SIZE,
    maxOutputTokens: v.MAX_OUTPUT_TOKENS,
    structuredOutputMode: v.STRUCTURED_OUTPUT_MODE,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    streamKeepaliveMs: v.STREAM_KEEPALIVE_MS,
    streamIdleTimeoutMs: v.STREAM_IDLE_TIMEOUT_MS,
    streamClientTimeoutMs: v.STREAM_CLIENT_TIMEOUT_MS,
    embeddingsModel: v.EMBEDDINGS_MODEL,
    embeddingsBatchSize: v.EMBEDDINGS_BATCH_SIZE,
    allowPrivateImageUrls: v.ALLOW_PRIVATE_IMAGE_URLS,
    capabilities: withVisionModels(
      mergeCapabilities(BUILT_IN_CAPABILITIES, v.MODEL_CAPABILITIES),
      v.VISION_MODELS,
    ),
    imageFetchTimeoutMs: v.IMAGE_FETCH_TIMEOUT_MS,
    uploadCacheTtlMs: v.UPLOAD_CACHE_TTL_MS,
    responsesStore: {
      maxEntries: v.RESPONSES_STORE_MAX,
      maxBytes: v.RESPONSES_STORE_MAX_BYTES,
      ttlMs: v.RESPONSES_STORE_TTL_MS,
    },
    backends: {
      default: v.GIGACHAT_BACKEND,
      rules: v.GIGACHAT_MODEL_BACKENDS,
      v2Url: v.GIGACHAT_V2_URL ?? deriveV2Url(v.GIGACHAT_API_URL),
      v2Tools: v.GIGACHAT_V2_TOOLS,
    },
    metricsToken: v.METRICS_TOKEN,
    admin: { token: v.ADMIN_TOKEN, dataDir: v.DATA_DIR },
    prices: v.MODEL_PRICES,
    fallbacks: v.MODEL_FALLBACKS,
    redisUrl: v.REDIS_URL,
    drainDelayMs: v.DRAIN_DELAY_MS,
    connections: {
      maxConnections: v.MAX_CONNECTIONS,
      headTimeoutMs: v.HEADERS_TIMEOUT_MS,
      idleTimeoutMs: v.KEEP_ALIVE_TIMEOUT_MS,
    },
    queue: {
      concurrency: v.UPSTREAM_CONCURRENCY,
      perModel: v.UPSTREAM_CONCURRENCY_PER_MODEL,
      maxWaiting: v.QUEUE_MAX,
      timeoutMs: v.QUEUE_TIMEOUT_MS,
    },
  };
  if (v.GIGACHAT_POOL !== undefined) usePool(config, v.GIGACHAT_POOL);
  const usesV2 = config.backends.default === "v2" ||
    config.backends.rules.some((rule) => rule.backend === "v2");
  if (usesV2 && config.backends.v2Url === undefined) {
    throw new ConfigError(
      `GIGACHAT_V2_URL must be set: GIGACHAT_API_URL (${config.apiUrl}) does not end in /v1, ` +
        "so the v2 chat address cannot be derived from it",
    );
  }
  const admin = config.admin.token;
  if (
    admin !== undefined && (config.proxyApiKeys.includes(admin) || admin === config.metricsToken)
  ) {
    throw new ConfigError(
      "ADMIN_TOKEN must differ from every PROXY_API_KEYS entry and from METRICS_TOKEN: whoever " +
        "holds it manages every key",
    );
  }
  if (config.admin.token !== undefined && config.credentials === undefined) {
    throw new ConfigError(
      "ADMIN_TOKEN needs GIGACHAT_CREDENTIALS: keys made through the admin API use the " +
        "gateway's own GigaChat key (server-side mode)",
    );
  }
  if (
    config.credentials && config.proxyApiKeys.length === 0 && config.admin.token === undefined &&
    !isLoopbackHost(config.host)
  ) {
    throw new ConfigError(
      `PROXY_API_KEYS must be set when GIGACHAT_CREDENTIALS is set and HOST (${config.host}) ` +
        "is not a loopback address: anyone who can reach the port would spend your GigaChat quota",
    );
  }
  return config;
}

/**
 * VISION_MODELS, where set, decides which models take images, as before the capability table:
 * the listed ones (and their -preview variants) do, every other model in the table does not.
 */
function withVisionModels(
  table: CapabilityTable,
  visionModels: readonly string[] | undefined,
): CapabilityTable {
  if (visionModels === undefined) return table;
  const listed: CapabilityTable = Object.fromEntries(
    visionModels.map((name): [string, ModelCapabilities] => [name, { vision: true }]),
  );
  const unlisted = Object.fromEntries(
    Object.keys(table).filter((name) => !visionModels.includes(name)).map((
      name,
    ): [string, ModelCapabilities] => [name, { vision: false }]),
  );
  return mergeCapabilities(mergeCapabilities(table, unlisted), listed);
}

/**
 * The v2 chat endpoint as GigaChat's SDK derives it (API-more.md §9): a base ending in `/v1`
 * becomes `/v2/chat/completions` in the same place.
 */
export function deriveV2Url(apiUrl: string): string | undefined {
  return apiUrl.endsWith("/v1") ? `${apiUrl.slice(0, -3)}/v2/chat/completions` : undefined;
}

/**
 * Server-side mode over GIGACHAT_POOL: the members, and the first one's way of authenticating
 * as the gateway's credential where one is named. The owner ids of proxy keys (stored responses,
 * file owners) are keyed with the first member's secret, which every instance shares and which
 * adding, removing or reordering the others leaves alone.
 */
function usePool(config: Config, value: string): void {
  if (config.credentials !== undefined) {
    throw new ConfigError(
      `set GIGACHAT_POOL or ${config.credentialKind.setting}, not both: a single credential is ` +
        "a pool of one",
    );
  }
  const pool = parsePool(value, { scope: config.scope, concurrency: config.queue.concurrency });
  config.pool = pool;
  config.credentials = pool.find((member) => member.key !== "")?.key ??
    certificateSecret(pool[0]);
  config.credentialKind = {
    kind: pool[0].kind,
    setting: "GIGACHAT_POOL",
    secrets: pool.flatMap((member) => member.secrets),
  };
}

/**
 * A pool of certificates only: its first member's private key is the secret owner ids are keyed
 * with (a key that cannot be read stops the start later, naming the member).
 */
function certificateSecret(member: PoolMemberSetting): string {
  try {
    return Deno.readTextFileSync(member.clientCertificate!.keyFile);
  } catch {
    return `pool\n${member.name}`;
  }
}

/** The client certificate's two files: both or neither. */
function clientCertificateOf(
  certFile: string | undefined,
  keyFile: string | undefined,
): Config["clientCertificate"] {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError(
      "GIGACHAT_CLIENT_CERT_FILE and GIGACHAT_CLIENT_KEY_FILE go together: set both",
    );
  }
  return { certFile, keyFile };
}

/**
 * Server-side mode's credential from whichever way of authenticating is set: exactly one of an
 * authorization key, a user and password, or a ready access token.
 */
function serverCredential(
  v: {
    GIGACHAT_CREDENTIALS?: string;
    GIGACHAT_USER?: string;
    GIGACHAT_PASSWORD?: string;
    GIGACHAT_ACCESS_TOKEN?: string;
  },
): Pick<Config, "credentials" | "credentialKind"> {
  const ways = [
    v.GIGACHAT_CREDENTIALS !== undefined ? "GIGACHAT_CREDENTIALS" : undefined,
    v.GIGACHAT_USER !== undefined || v.GIGACHAT_PASSWORD !== undefined
      ? "GIGACHAT_USER and GIGACHAT_PASSWORD"
      : undefined,
    v.GIGACHAT_ACCESS_TOKEN !== undefined ? "GIGACHAT_ACCESS_TOKEN" : undefined,
  ].filter((way) => way !== undefined);
  if (ways.length > 1) {
    throw new ConfigError(`set one way to authenticate to GigaChat, not ${ways.join(" and ")}`);
  }
  if (v.GIGACHAT_USER !== undefined || v.GIGACHAT_PASSWORD !== undefined) {
    if (v.GIGACHAT_USER === undefined || v.GIGACHAT_PASSWORD === undefined) {
      throw new ConfigError("GIGACHAT_USER and GIGACHAT_PASSWORD go together: set both");
    }
    return {
      credentials: basicPair(v.GIGACHAT_USER, v.GIGACHAT_PASSWORD),
      credentialKind: {
        kind: "password",
        setting: "GIGACHAT_USER and GIGACHAT_PASSWORD",
        secrets: [v.GIGACHAT_PASSWORD],
      },
    };
  }
  if (v.GIGACHAT_ACCESS_TOKEN !== undefined) {
    return {
      credentials: v.GIGACHAT_ACCESS_TOKEN,
      credentialKind: { kind: "token", setting: "GIGACHAT_ACCESS_TOKEN", secrets: [] },
    };
  }
  return {
    credentials: v.GIGACHAT_CREDENTIALS,
    credentialKind: { kind: "oauth", setting: "GIGACHAT_CREDENTIALS", secrets: [] },
  };
}

function isSecret(name: string): boolean {
  return name === "GIGACHAT_CREDENTIALS" || name === "PROXY_API_KEYS" || name === "METRICS_TOKEN" ||
    name === "REDIS_URL" || name === "ADMIN_TOKEN" || name === "GIGACHAT_PASSWORD" ||
    name === "GIGACHAT_ACCESS_TOKEN" || name === "GIGACHAT_POOL";
}
