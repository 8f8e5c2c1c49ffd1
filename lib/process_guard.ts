import { AsyncLocalStorage } from "node:async_hooks";
import { describeError, type Logger } from "./log.ts";

/** The id of the request whose work is running, where the runtime carries it along. */
const currentRequest = new AsyncLocalStorage<string>();

/** Runs `work` as part of request `requestId`, so a stray error in it can name the request. */
export function inRequestScope<T>(requestId: string, work: () => T): T {
  return currentRequest.run(requestId, work);
}

/**
 * The last line of defence: an error nobody caught (thrown in a timer, an event callback or a
 * stream callback) or a promise rejection nobody handled is logged at `error` level and the
 * gateway keeps serving. One bad request must never take every other client's answers with it.
 * Returns a function that removes the guard again.
 */
export function installProcessGuard(log: Logger): () => void {
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    log.error("uncaught error", fieldsFor(event.error ?? event.message));
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    log.error("unhandled rejection", fieldsFor(event.reason));
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => {
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}

function fieldsFor(error: unknown): Record<string, string> {
  const requestId = currentRequest.getStore();
  return {
    ...(requestId === undefined ? {} : { request_id: requestId }),
    error: describeError(error),
  };
}
