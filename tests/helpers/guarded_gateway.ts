// A gateway process, as main.ts starts it, with the process guard installed, that then meets
// the errors nothing catches, once it listens: a rejection nobody handles, a throw in a timer
// and in an event callback, and an enqueue on a closed stream. Run by
// tests/process_guard_test.ts in a child process, where such errors would end the process.
import { EventEmitter } from "node:events";
import { ROUTES } from "../../routes/table.ts";
import { createGateway } from "../../lib/app.ts";
import { loadConfig } from "../../lib/config.ts";
import { installProcessGuard } from "../../lib/process_guard.ts";

const gateway = await createGateway(
  loadConfig({ PORT: "0", LOG_LEVEL: "info" }),
  ROUTES,
);
installProcessGuard(gateway.log);
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => {
    gateway.log.info("listening", { port });
    provoke();
  },
}, gateway.handler);

function provoke(): void {
  Promise.reject(new Error("a rejection nobody handles"));
  setTimeout(() => {
    throw new Error("a throw in a timer");
  }, 10);
  const emitter = new EventEmitter();
  emitter.on("data", () => {
    throw new Error("a throw in an event callback");
  });
  setTimeout(() => emitter.emit("data"), 20);
  new ReadableStream({
    start(controller) {
      controller.close();
      setTimeout(() => controller.enqueue(new Uint8Array(1)), 30);
    },
  });
  setTimeout(() => gateway.log.info("provoked"), 60);
}
Deno.addSignalListener("SIGTERM", () => server.shutdown());
await server.finished;
