import { describeError, type Logger } from "./log.ts";

/**
 * The last line of defence: an error nobody caught (thrown in a timer, an event callback or a
 * stream callback) or a promise rejection nobody handled is logged at `error` level and the
 * gateway keeps serving. One bad request must never take every other client's answers with it.
 * Errors inside a request's own handler are logged with its id where they are caught; these
 * stray ones carry none (AsyncLocalStorage could carry it, at ~5 KB of RSS per open stream).
 * Returns a function that removes the guard again.
 */
export function installProcessGuard(log: Logger): () => void {
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    log.error("uncaught error", { error: describeError(event.error ?? event.message) });
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    log.error("unhandled rejection", { error: describeError(event.reason) });
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => {
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}
