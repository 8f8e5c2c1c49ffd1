import { ConfigError, loadConfig } from "./lib/config.ts";
import { createGateway } from "./lib/app.ts";
import { loadEnvFile } from "./lib/env_file.ts";
import { NAME, VERSION } from "./lib/version.ts";

/** Starts the gateway: `.env`, configuration, then `Deno.serve` until SIGINT/SIGTERM. */
async function main(): Promise<number> {
  try {
    await loadEnvFile(".env");
    const config = loadConfig(Deno.env.toObject());
    const gateway = await createGateway(config);
    const server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: ({ hostname, port }) => {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        gateway.log.info("listening", {
          version: VERSION,
          url: `http://${host}:${port}/v1`,
          auth_mode: config.credentials ? "server-side" : "pass-through",
        });
      },
    }, gateway.handler);
    const stop = () => {
      gateway.log.info("shutting down");
      server.shutdown();
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      try {
        Deno.addSignalListener(signal, stop);
      } catch {
        // Windows has no SIGTERM; Ctrl+C still arrives as SIGINT.
      }
    }
    await server.finished;
    gateway.close();
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(`${NAME}: configuration error: ${error.message}`);
      return 1;
    }
    if (error instanceof Deno.errors.AddrInUse) {
      fail(`${NAME}: cannot listen: the address is already in use (set PORT or HOST)`);
      return 1;
    }
    throw error;
  }
}

function fail(line: string): void {
  // deno-lint-ignore no-console
  console.error(line);
}

if (import.meta.main) Deno.exit(await main());
