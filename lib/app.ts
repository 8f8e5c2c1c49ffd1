import type { ConnectionInfo } from "./http/connection_server.ts";
import { type Config, ConfigError } from "./config.ts";
import { Deadlines } from "./deadlines.ts";
import type { AppContext, Handler } from "./context.ts";
import { GatewayError, gatewayKeyRefused, shuttingDown } from "./errors.ts";
import {
  createUpstreamHttpClient,
  readClientCertificate,
  readExtraCaFile,
} from "./gigachat/http_client.ts";
import { type Fetcher, UpstreamClient } from "./gigachat/upstream_client.ts";
import type { Route } from "./http/router.ts";
import { Logger, type LogSink } from "./log.ts";
import { ModelCatalog } from "./models/model_catalog.ts";
import { createAuthenticator } from "./pipeline/client_auth.ts";
import { MemoryKeyStore, MemoryUsageBook } from "./tenants/key_store.ts";
import { openSqliteStore } from "./tenants/sqlite_store.ts";
import { Tenants } from "./tenants/tenants.ts";
import {
  RedisGenerations,
  RedisKeyStore,
  RedisRequestCounter,
  RedisUsageBook,
} from "./tenants/redis_store.ts";
import { createRequestHandler } from "./request_handler.ts";
import { RequestHistory, type TrafficHistory } from "./request_history.ts";
import { SharedRequestHistory } from "./shared_history.ts";
import { MemorySessionBook, RedisSessionBook } from "./http/console_sessions.ts";
import { MemoryResponseStore } from "./pipeline/response_store.ts";
import { GatewayMetrics } from "./metrics.ts";
import { createMetricsGuard } from "./pipeline/metrics_guard.ts";
import { UpstreamSlots } from "./pipeline/upstream_slots.ts";
import { asMember, CredentialPool, isCredentialTrouble } from "./pipeline/credential_pool.ts";
import { poolMembers } from "./pipeline/pool_members.ts";
import { RedisLeases } from "./pipeline/redis_leases.ts";
import { LocalLedger, type SlotLedger } from "./pipeline/slot_ledger.ts";
import type { Credential } from "./gigachat/credential.ts";
import { KeyRefusals } from "./pipeline/key_refusals.ts";
import {
  COMMAND_TIMEOUT_MS,
  connectRedis,
  type KeyValue,
  PREFIX as SHARED_PREFIX,
} from "./pipeline/shared_state.ts";
import {
  SharedFileOwners,
  SharedResponseStore,
  SharedUploadCache,
} from "./pipeline/shared_stores.ts";
import { MemoryUploadCache } from "./vision/upload_cache.ts";
import { type FileOwners, MemoryFileOwners } from "./vision/file_owners.ts";
import { AttachmentUploader } from "./vision/attachment_uploader.ts";

export interface GatewayOptions {
  /** Where log lines go (tests read them); stdout by default. */
  logSink?: LogSink;
  /** Replaces the TLS-pinned fetch (unit tests without a network). */
  fetch?: Fetcher;
}

/**
 * A ready gateway: `handler` serves requests; `abortInFlight` ends what is still running when
 * shutdown stops waiting (streams get an error event and [DONE]); `close` frees the upstream
 * connections.
 */
export interface Gateway {
  readonly handler: (
    request: Request,
    info?: ConnectionInfo,
  ) => Promise<Response>;
  readonly log: Logger;
  /** Says not ready from now on (`/ready` 503), while requests are still served. */
  drain(): void;
  abortInFlight(): void;
  /** Writes usage and recent requests still held (for at most a few seconds), then closes. */
  close(): Promise<void>;
}

/** Wires configuration, logger, upstream client, caches and `routes` into one gateway. */
export async function createGateway(
  config: Config,
  routes: readonly Route<Handler>[],
  options: GatewayOptions = {},
): Promise<Gateway> {
  const log = new Logger({
    level: config.logLevel,
    sink: options.logSink,
    secrets: [
      config.credentials ?? "",
      ...config.credentialKind.secrets,
      ...config.proxyApiKeys,
      config.metricsToken ?? "",
      config.admin.token ?? "",
      redisPassword(config.redisUrl),
    ],
  });
  // Model labels: the names the gateway knows of; anything else a client sends is "other".
  const metrics = new GatewayMetrics([
    ...Object.keys(config.capabilities),
    ...Object.keys(config.modelAliases),
    ...Object.values(config.modelAliases),
    ...Object.keys(config.fallbacks),
    ...Object.values(config.fallbacks).flat(),
  ]);
  let fetcher = options.fetch;
  let httpClient: Deno.HttpClient | undefined;
  const extraCas = config.caFile && fetcher === undefined
    ? await readExtraCaFile(config.caFile)
    : [];
  if (fetcher === undefined) {
    const certificate = config.clientCertificate === undefined
      ? undefined
      : await readClientCertificate(
        config.clientCertificate.certFile,
        config.clientCertificate.keyFile,
      );
    const client = createUpstreamHttpClient(extraCas, certificate);
    httpClient = client;
    // A pool member's own client (its certificate) comes in `init`, and wins.
    fetcher = (input, init) => fetch(input, { client, ...init });
  }
  const upstream = new UpstreamClient({
    apiUrl: config.apiUrl,
    authUrl: config.authUrl,
    retry: {
      maxAttempts: config.upstreamMaxAttempts,
      baseDelayMs: config.retryBaseDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
    },
    requestTimeoutMs: config.requestTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    tokenRefreshBufferMs: config.tokenRefreshBufferMs,
    tokenCacheSize: config.credentialCacheSize,
    fetch: fetcher,
    metrics,
    onOutcome: (credential, failure) => pool?.observe(credential, failure),
  });
  const { members, clients: memberClients } = config.credentials === undefined
    ? { members: [], clients: [] }
    : await poolMembers(config, extraCas, options.fetch === undefined);
  // REDIS_URL: stored responses, the upload cache and tenants shared by every instance.
  const shared: KeyValue | undefined = config.redisUrl === undefined
    ? undefined
    : await connectRedis(config.redisUrl, log);
  const tenants = openTenants(config, log, shared);
  const history = tenants === undefined ? undefined : openHistory(metrics, log, shared);
  // Pass-through mode has no pool: no leases, and no connection listening for freed ones.
  const ledger: SlotLedger = shared === undefined || members.length === 0
    ? new LocalLedger()
    : new RedisLeases(shared, { prefix: SHARED_PREFIX, log, metrics });
  const pool: CredentialPool | undefined = members.length === 0 ? undefined : new CredentialPool({
    members,
    ledger,
    perModel: config.queue.perModel,
    maxWaiting: config.queue.maxWaiting,
    timeoutMs: config.queue.timeoutMs,
    guarded: config.pool !== undefined,
    retryMs: config.poolRetryMs,
    metrics,
    log,
  });
  // A pool of one: every client's credential is that member already.
  const checkKey = await createAuthenticator(
    config,
    tenants,
    members.length === 1 ? members[0].credential : undefined,
  );
  // The gateway's own credential was refused: the client's key is fine, the operator must act.
  const ownCredentialRefused = (error: GatewayError) => {
    const setting = config.credentialKind.setting;
    log.error(`${setting} refused`, { error: error.message });
    return gatewayKeyRefused(error, setting);
  };
  const files: FileOwners = shared === undefined
    // Room for a hundred files per proxy key and credential the gateway keeps.
    ? new MemoryFileOwners(Math.max(10_000, config.credentialCacheSize * 100))
    : new SharedFileOwners(shared);
  // Pass-through only: there every client key is a GigaChat OAuth exchange.
  const refusals = config.credentials !== undefined ? undefined : new KeyRefusals({
    rememberMs: 60_000,
    perAddress: 20,
    windowMs: 60_000,
    maxEntries: 10_000,
  });
  const startedAt = Date.now();
  const stopping = new AbortController();
  let ready = true;
  const app: AppContext = {
    config,
    log,
    upstream,
    models: new ModelCatalog({
      upstream,
      aliases: config.modelAliases,
      ttlMs: config.modelsCacheTtlMs,
      maxEntries: config.credentialCacheSize,
      created: Math.floor(startedAt / 1000),
      capabilities: config.capabilities,
      onLookup: (hit) => metrics.cacheLookup("models", hit),
    }),
    files,
    attachments: new AttachmentUploader(upstream, {
      owners: files,
      ttlMs: config.uploadCacheTtlMs,
      cache: shared === undefined
        // Uploads are kept per credential and file: room for ten files each.
        ? new MemoryUploadCache(config.credentialCacheSize * 10)
        : new SharedUploadCache(shared, log),
      onLookup: (hit) => metrics.cacheLookup("uploads", hit),
    }),
    tenants,
    history,
    consoleSessions: tenants === undefined
      ? undefined
      : shared === undefined
      ? new MemorySessionBook()
      : new RedisSessionBook(shared, SHARED_PREFIX),
    sharedStoreUp: shared === undefined
      ? undefined
      : () => shared.command(["PING"]).then(() => true, () => false),
    authenticate: async (request, { signal, trace, clientAddress }) => {
      const credential = await checkKey(request);
      if (credential.tenant !== undefined) {
        trace.tenant = { id: credential.tenant.id, name: credential.tenant.name };
      }
      if (pool !== undefined) {
        return await serverCredential(
          pool,
          credential,
          (chosen) => upstream.authorize(chosen, signal, trace),
          ownCredentialRefused,
        );
      }
      // The client's key is proven before anything is fetched, uploaded or sent on its behalf.
      const authorize = () => upstream.authorize(credential, signal, trace);
      if (upstream.hasToken(credential)) await authorize();
      else await refusals!.check(credential.id, clientAddress(), authorize);
      return credential;
    },
    responses: shared === undefined
      ? new MemoryResponseStore(config.responsesStore)
      : new SharedResponseStore(shared, config.responsesStore),
    bodyDeadlines: new Deadlines(config.requestBodyTimeoutMs),
    startedAt,
    stopping: stopping.signal,
    metrics,
    pool,
    slots: new UpstreamSlots({
      concurrency: config.queue.concurrency,
      maxWaiting: config.queue.maxWaiting,
      timeoutMs: config.queue.timeoutMs,
      metrics,
    }),
    guardMetrics: await createMetricsGuard(config),
    ready: () => ready && !stopping.signal.aborted,
  };

  const requests = createRequestHandler(app, routes);
  return {
    handler: requests.handle,
    log,
    drain: () => {
      ready = false;
    },
    abortInFlight: () => {
      stopping.abort(shuttingDown());
      requests.abortInFlight();
    },
    close: async () => {
      pool?.close();
      ledger.close();
      for (const client of memberClients) client.close();
      // Each store command gives up after COMMAND_TIMEOUT_MS; a stuck one holds no exit long.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([tenants?.close(), history?.close()]),
        new Promise((resolve) => timer = setTimeout(resolve, 2 * COMMAND_TIMEOUT_MS)),
      ]);
      clearTimeout(timer);
      httpClient?.close();
      await shared?.close();
    },
  };
}

/**
 * The pool member that serves `client` (the least busy usable one), its access token at hand;
 * one GigaChat refuses is taken out and the next tried. When none is left, the refusal says the
 * operator must act: the client's key is fine.
 */
async function serverCredential(
  pool: CredentialPool,
  client: Credential,
  authorize: (credential: Credential) => Promise<void>,
  refused: (error: GatewayError) => GatewayError,
): Promise<Credential> {
  for (let tries = 1;; tries++) {
    const credential = pool.size === 1 ? client : asMember(client, pool.pick());
    try {
      await authorize(credential);
      return credential;
    } catch (error) {
      if (pool.switches && isCredentialTrouble(error)) {
        const blocked = pool.unavailable(undefined);
        if (blocked !== undefined) throw blocked;
        if (tries < pool.size) continue;
      }
      if (!(error instanceof GatewayError) || error.status !== 401) throw error;
      throw refused(error);
    }
  }
}

/**
 * What the console's Requests and Live read (with the admin API only): this instance's, or with
 * REDIS_URL every instance's.
 */
function openHistory(
  metrics: GatewayMetrics,
  log: Logger,
  shared: KeyValue | undefined,
): TrafficHistory {
  const local = new RequestHistory(1000, Date.now, () => ({
    queue_length: metrics.queued.get([]),
    open_streams: metrics.openStreams.get([]),
    generating: metrics.generating.get([]),
  }));
  if (shared === undefined) return local;
  return new SharedRequestHistory(local, shared, {
    prefix: SHARED_PREFIX,
    instance: crypto.randomUUID(),
    onError: (error) =>
      log.error("recent requests not written to the shared store", { error: String(error) }),
  });
}

/**
 * The tenants of the admin API (ADMIN_TOKEN): in Redis with REDIS_URL (every instance the
 * same), else in the embedded store under DATA_DIR, or in memory with `DATA_DIR=:memory:`.
 */
function openTenants(
  config: Config,
  log: Logger,
  shared: KeyValue | undefined,
): Tenants | undefined {
  if (config.admin.token === undefined) return undefined;
  if (shared !== undefined) {
    const onError = (error: unknown) =>
      log.error("tenant counters not written to the shared store", { error: String(error) });
    return new Tenants(
      new RedisKeyStore(shared, SHARED_PREFIX),
      new RedisUsageBook(shared, SHARED_PREFIX, onError),
      {
        requests: new RedisRequestCounter(shared, SHARED_PREFIX),
        generations: new RedisGenerations(shared, SHARED_PREFIX, onError),
      },
    );
  }
  const dir = config.admin.dataDir;
  if (dir === ":memory:") {
    log.warn("keys and usage are kept in memory only (DATA_DIR=:memory:)", {});
    return new Tenants(new MemoryKeyStore(), new MemoryUsageBook());
  }
  try {
    const { keys, usage } = openSqliteStore(
      dir,
      (error) =>
        log.error("usage not written yet; kept for the next try", { error: String(error) }),
    );
    return new Tenants(keys, usage);
  } catch (error) {
    throw new ConfigError(
      `DATA_DIR ${dir}: cannot open the key store there (${
        error instanceof Error ? error.message : error
      })`,
    );
  }
}

/** The password in a REDIS_URL, so the log never shows it. */
function redisPassword(url: string | undefined): string {
  if (url === undefined) return "";
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}
