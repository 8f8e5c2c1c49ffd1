import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./lib/config.ts";
import { ROUTES } from "./routes/table.ts";
import { createGateway } from "./lib/app.ts";
import { loadEnvFile } from "./lib/env_file.ts";
import { installProcessGuard } from "./lib/process_guard.ts";
import { describeError } from "./lib/log.ts";
import { checkReady, readyUrl } from "./lib/ready_check.ts";
import { enableTracing } from "./lib/tracing.ts";
import type { ConnectionServer } from "./lib/http/connection_server.ts";
import { listenGateway } from "./lib/http/listen_gateway.ts";
import { NAME, VERSION } from "./lib/version.ts";

const HELP = `${NAME} ${VERSION}: an OpenAI-compatible gateway to Sber GigaChat

Usage: ${NAME} [options]

Options (each overrides the environment variable named after it):
  --port <n>         listen port (PORT, default 8080)
  --host <address>   listen address (HOST, default 127.0.0.1)
  --env-file <path>  read variables from this file instead of ./.env;
                     variables already set in the environment win
  --check-ready      ask the gateway these settings describe for /ready and exit
                     0 when it is ready, 1 otherwise (a container health check)
  --version          print the version and exit
  --help             print this help and exit

Every setting is an environment variable; see the README for the full list.
Clients: point an OpenAI SDK at http://<host>:<port>/v1.`;

/** Starts the gateway: flags, `.env`, configuration, then the listener until SIGINT/SIGTERM. */
async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "env-file": { type: "string" },
        version: { type: "boolean" },
        "check-ready": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail(`${NAME}: ${error instanceof Error ? error.message : error} (see --help)`);
    return 2;
  }
  if (flags.help) {
    say(HELP);
    return 0;
  }
  if (flags.version) {
    say(`${NAME} ${VERSION}`);
    return 0;
  }
  // For the port-busy message, which is caught below the configuration.
  let address = "the configured address";
  try {
    const envFile = flags["env-file"];
    if (!await loadEnvFile(envFile ?? ".env") && envFile !== undefined) {
      throw new ConfigError(`--env-file ${envFile} does not exist or may not be read`);
    }
    const env = Deno.env.toObject();
    if (flags.port !== undefined) env.PORT = flags.port;
    if (flags.host !== undefined) env.HOST = flags.host;
    const config = loadConfig(env);
    address = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
    if (flags["check-ready"]) {
      const problem = await checkReady(readyUrl(config.host, config.port));
      if (problem !== null) fail(`${NAME}: not ready: ${problem}`);
      return problem === null ? 0 : 1;
    }
    // Deno's own OpenTelemetry export (README "Tracing"); the gateway adds its attributes.
    if (env.OTEL_DENO === "true") await enableTracing();
    const gateway = await createGateway(config, ROUTES);
    installProcessGuard(gateway.log);
    // Assigned once below; declared first so the signal handlers can close over it.
    // deno-lint-ignore prefer-const
    let server: ConnectionServer;
    // Signal handlers go in before the port opens, so no SIGTERM can find the process unready.
    // Graceful shutdown: not ready, then (after DRAIN_DELAY_MS) stop accepting, let requests and
    // streams finish for up to SHUTDOWN_TIMEOUT_MS, then end the rest cleanly. A second signal
    // stops waiting at once.
    let signals = 0;
    let closing: Promise<void> | undefined;
    const onSignal = () => {
      signals++;
      if (signals > 1) {
        gateway.abortInFlight();
        server.closeConnections();
        closing ??= server.shutdown();
        return;
      }
      gateway.log.info("shutting down", {
        timeout_ms: config.shutdownTimeoutMs,
        drain_delay_ms: config.drainDelayMs,
      });
      // /ready says 503 at once; new requests are still served for DRAIN_DELAY_MS, long enough
      // for a load balancer's health check to move traffic elsewhere.
      gateway.drain();
      setTimeout(() => {
        const timer = setTimeout(() => {
          gateway.log.warn("shutdown timeout: ending requests still in flight");
          gateway.abortInFlight();
          server.closeConnections();
        }, config.shutdownTimeoutMs);
        closing ??= server.shutdown();
        closing.finally(() => clearTimeout(timer));
      }, config.drainDelayMs);
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      try {
        Deno.addSignalListener(signal, onSignal);
      } catch {
        // Windows has no SIGTERM; Ctrl+C still arrives as SIGINT.
      }
    }
    server = listenGateway(config, gateway.handler, gateway.log, ({ hostname, port }) => {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      gateway.log.info("listening", {
        version: VERSION,
        url: `http://${host}:${port}/v1`,
        auth_mode: config.credentials ? "server-side" : "pass-through",
      });
    });
    try {
      await server.finished;
    } catch (error) {
      // The port was lost and could not be taken again: exit non-zero, so a supervisor
      // (systemd, a container runtime) starts a fresh process instead of leaving none.
      gateway.log.error("the listener failed for good; exiting", { error: describeError(error) });
      gateway.abortInFlight();
      await gateway.close();
      return 1;
    }
    await gateway.close();
    gateway.log.info("stopped");
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(`${NAME}: configuration error: ${error.message}`);
      return 1;
    }
    if (error instanceof Deno.errors.AddrInUse) {
      fail(
        `${NAME}: cannot listen on ${address}: the address is already in use ` +
          "(set PORT or HOST)",
      );
      return 1;
    }
    throw error;
  }
}

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

function fail(line: string): void {
  // deno-lint-ignore no-console
  console.error(line);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
