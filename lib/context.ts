import type { FileOwners } from "./vision/file_owners.ts";
import type { Config } from "./config.ts";
import type { StreamOutcome } from "./http/sse_transport.ts";
import type { ResponseStore } from "./pipeline/response_store.ts";
import type { UpstreamSlots } from "./pipeline/upstream_slots.ts";
import type { CredentialPool } from "./pipeline/credential_pool.ts";
import type { Deadlines } from "./deadlines.ts";
import type { Credential } from "./gigachat/credential.ts";
import type { UpstreamClient } from "./gigachat/upstream_client.ts";
import type { Logger } from "./log.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { ModelCatalog } from "./models/model_catalog.ts";
import type { AttachmentUploader } from "./vision/attachment_uploader.ts";
import type { TenantRef, Tenants } from "./tenants/tenants.ts";
import type { TrafficHistory } from "./request_history.ts";
import type { SessionBook } from "./http/console_sessions.ts";

/** What every handler shares for the gateway's lifetime; built once in lib/app.ts. */
export interface AppContext {
  readonly config: Config;
  readonly log: Logger;
  readonly upstream: UpstreamClient;
  readonly models: ModelCatalog;
  readonly attachments: AttachmentUploader;
  /** Responses made with `store` (/v1/responses). */
  readonly responses: ResponseStore;
  /** Keys made through the admin API, their limits and usage (ADMIN_TOKEN set). */
  readonly tenants: Tenants | undefined;
  /** Recent requests' metadata and per-10-second totals, for the admin API (ADMIN_TOKEN set). */
  readonly history: TrafficHistory | undefined;
  /** The console's signed-in sessions (ADMIN_TOKEN set). */
  readonly consoleSessions: SessionBook | undefined;
  /** Whether the shared store (REDIS_URL) answers now; undefined without one. */
  readonly sharedStoreUp: (() => Promise<boolean>) | undefined;
  /** Which proxy key made each file, so keys sharing a GigaChat key see only their own. */
  readonly files: FileOwners;
  /**
   * Who is calling: the GigaChat credential to use, with an access token already obtained for
   * it, or a 401. `signal` stops the wait; OAuth attempts are counted in `trace`; the client's
   * address bounds how many refused keys it may try (pass-through mode).
   */
  readonly authenticate: (
    request: Request,
    call: Pick<RequestContext, "signal" | "trace" | "clientAddress">,
  ) => Promise<Credential>;
  /** REQUEST_BODY_TIMEOUT_MS for every JSON request body, watched by one timer. */
  readonly bodyDeadlines: Deadlines;
  readonly startedAt: number;
  /** Aborts when the gateway gives up waiting for in-flight work during shutdown. */
  readonly stopping: AbortSignal;
  readonly metrics: GatewayMetrics;
  /**
   * Server-side mode's GigaChat credentials (GIGACHAT_POOL, or the one credential as a pool of
   * one) and their slots for chat generations; undefined in pass-through mode.
   */
  readonly pool: CredentialPool | undefined;
  /** UPSTREAM_CONCURRENCY in pass-through mode: slots for chat generations, per client key. */
  readonly slots: UpstreamSlots;
  /** May this client read /metrics? @throws {GatewayError} 401 or 403 */
  readonly guardMetrics: (request: Request, clientAddress: string | undefined) => Promise<void>;
  /** False from the shutdown signal on: `/ready` answers 503 so load balancers move on. */
  readonly ready: () => boolean;
}

/** Facts of one request; handlers fill `trace` for the log line. */
export interface RequestContext {
  readonly app: AppContext;
  readonly requestId: string;
  /** Path parameters, e.g. `id` in `/models/:id`. */
  readonly params: Readonly<Record<string, string>>;
  readonly forwardHeaders: Readonly<Record<string, string>>;
  /** The client's IP address, when the server gave it (loopback checks). */
  readonly clientAddress: () => string | undefined;
  /** Aborts when the client leaves or the gateway stops waiting for this request. */
  readonly signal: AbortSignal;
  /**
   * Closes the client's connection at once (a stalled reader), true if it did; absent where
   * not possible.
   */
  readonly cutConnection?: () => boolean;
  /** Settles once the response has gone out (Deno's `info.completed`); with `cutConnection`. */
  readonly delivered?: Promise<void>;
  readonly trace: {
    model?: string;
    /** The route template that matched (a metrics label). */
    route?: string;
    /** The GigaChat chat API that served it (v1 or v2). */
    backend?: string;
    /** The GIGACHAT_POOL credential that served it, by name. */
    credential?: string;
    /** Tokens GigaChat reported for it (traces). */
    usage?: { input: number; output: number };
    /** The tenant that sent it (a key made through the admin API). */
    tenant?: TenantRef;
    /** Settles what the request reserved against its tenant's limits, once it ends. */
    settleTokens?: (used: number, cost: number) => void;
    upstreamAttempts: number;
    /** How long it waited for its generation slot(s), in ms. */
    queueMs?: number;
    /** Set by a handler whose streamed body ends later; the log line waits for it. */
    streamEnd?: Promise<StreamOutcome>;
  };
}

export type { StreamOutcome };

/** A route handler: a web-standard request in, a response out. */
export type Handler = (request: Request, ctx: RequestContext) => Promise<Response>;
