/**
 * Passes a body through, but errors it when no bytes arrive for `idleMs` or when `stopping`
 * aborts: a stalled upstream download must neither hold its client forever nor keep graceful
 * shutdown waiting. Reads are pulled, so a slow client still slows the upstream.
 */
export function guardedBody(
  body: ReadableStream<Uint8Array>,
  options: { idleMs: number; stopping: AbortSignal },
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fail: (reason: Error) => void = () => {};
  const onStopping = () => fail(new Error("the gateway is shutting down"));
  const done = () => {
    clearTimeout(timer);
    options.stopping.removeEventListener("abort", onStopping);
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
