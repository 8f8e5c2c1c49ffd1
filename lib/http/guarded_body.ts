/** What bounds a passed-through body. */
export interface BodyGuard {
  /** No bytes from upstream for this long ends the body with an error. */
  idleMs: number;
  /** Ends the body with an error (shutdown stopped waiting). */
  stopping: AbortSignal;
  /** A client that takes nothing of what waits for it for this long is let go of. */
  clientMs: number;
  /** Cuts a stalled client's connection (true if it could); else the body ends in an error. */
  cut?: () => boolean;
}

/**
 * Passes a body through, but errors it when no bytes arrive for `idleMs` or when `stopping`
 * aborts: a stalled upstream download must neither hold its client forever nor keep graceful
 * shutdown waiting. Reads are pulled, so a slow client still slows the upstream; a client that
 * stopped reading for `clientMs` is cut off, and upstream let go of.
 */
export function guardedBody(
  body: ReadableStream<Uint8Array>,
  options: BodyGuard,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Armed while a chunk waits for the client.
  let stall: ReturnType<typeof setTimeout> | undefined;
  let fail: (reason: Error) => void = () => {};
  const onStopping = () => fail(new Error("the gateway is shutting down"));
  const done = () => {
    clearTimeout(timer);
    clearTimeout(stall);
    options.stopping.removeEventListener("abort", onStopping);
  };
  const stalled = () => {
    done();
    reader.cancel(new Error("the client stopped reading")).catch(() => {});
    if (options.cut?.() === true) return;
    fail(new Error(`the client took nothing for ${options.clientMs} ms`));
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      fail = (reason) => {
        done();
        controller.error(reason);
        reader.cancel(reason).catch(() => {});
      };
      if (options.stopping.aborted) onStopping();
      else options.stopping.addEventListener("abort", onStopping, { once: true });
    },
    async pull(controller) {
      clearTimeout(stall);
      timer = setTimeout(
        () => fail(new Error(`no data from GigaChat for ${options.idleMs} ms`)),
        options.idleMs,
      );
      try {
        const { value, done: ended } = await reader.read();
        clearTimeout(timer);
        if (ended) {
          done();
          controller.close();
        } else {
          controller.enqueue(value);
          stall = setTimeout(stalled, options.clientMs);
        }
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
