// A client for a Deno process's inspector (Chrome DevTools protocol over a WebSocket), on
// loopback: the bench's heap profiles are taken through it.

/** The least of the Chrome DevTools protocol this needs: numbered calls and their results. */
export class Inspector {
  #next = 0;
  readonly #pending = new Map<number, (result: unknown) => void>();

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data) as { id?: number; result?: unknown };
      if (message.id === undefined) return;
      this.#pending.get(message.id)?.(message.result);
      this.#pending.delete(message.id);
    };
  }

  /** Connects to the first target of the inspector listening on 127.0.0.1:`port`. */
  static async connect(port: number): Promise<Inspector> {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      webSocketDebuggerUrl: string;
    }[];
    const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    return new Inspector(socket);
  }

  /** Sends `method` and waits for its result. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Closes the connection. */
  close(): void {
    this.socket.close();
  }
}
