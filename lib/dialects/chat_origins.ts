import { GatewayError, invalidRequest } from "../errors.ts";

/**
 * Where each message of a translated chat request came from in the client's own request, so
 * that an error the chat pipeline raises about `messages[2].content[1]` reaches a Responses or
 * Messages client naming `input[1].content[0]` or `messages[1].content[2]`, its own fields.
 */
export class ChatOrigins {
  readonly #messages = new Map<number, string>();
  readonly #parts = new Map<string, string>();
  readonly #calls = new Map<string, string>();
  /** Chat paths outside `messages` (`tools[0].function.parameters`) → the client's own. */
  readonly #fields = new Map<string, string>();
  readonly #argumentsField: string;

  /** `argumentsField`: the dialect's field holding a tool call's arguments (`.arguments`). */
  constructor(argumentsField: string) {
    this.#argumentsField = argumentsField;
  }

  /** Chat message `index` came from the client's `at` (its first source, if several). */
  message(index: number, at: string): void {
    if (!this.#messages.has(index)) this.#messages.set(index, at);
  }

  /** Part `part` of chat message `index` came from `at`. */
  part(index: number, part: number, at: string): void {
    this.#parts.set(`${index}:${part}`, at);
  }

  /** Tool call `call` of chat message `index` came from `at`. */
  call(index: number, call: number, at: string): void {
    this.#calls.set(`${index}:${call}`, at);
  }

  /** The chat field `chat` (and what is under it) is the client's `at`. */
  field(chat: string, at: string): void {
    this.#fields.set(chat, at);
  }

  /**
   * Chat tool `index` is the client's tool at `at`, its schema in `parametersField` of it
   * (`.parameters`, `.input_schema`).
   */
  tool(index: number, at: string, parametersField: string): void {
    this.field(`tools[${index}].function.parameters`, `${at}${parametersField}`);
    this.field(`tools[${index}].function.name`, `${at}.name`);
    this.field(`tools[${index}]`, at);
  }

  /** The client's path for a chat path such as `messages[2].content[1]`; undefined if none. */
  clientPath(param: string): string | undefined {
    for (const [chat, at] of this.#fields) {
      if (param === chat || param.startsWith(`${chat}.`) || param.startsWith(`${chat}[`)) {
        return at + param.slice(chat.length);
      }
    }
    const match = /^messages\[(\d+)\](?:\.(content|tool_calls)\[(\d+)\])?(.*)$/.exec(param);
    if (match === null) return undefined;
    const [, index, field, sub, rest] = match;
    if (field === "content") {
      const part = this.#parts.get(`${index}:${sub}`);
      if (part !== undefined) return part + rest;
    }
    if (field === "tool_calls") {
      const call = this.#calls.get(`${index}:${sub}`);
      if (call !== undefined) {
        return call + (rest === ".function.arguments" ? this.#argumentsField : "");
      }
    }
    return this.#messages.get(Number(index));
  }

  /**
   * `error` in the client's terms: a 400 whose `param` is a chat path gets the client's path,
   * in `param` and in its message alike. Anything else is returned as it is.
   */
  relocate(error: unknown): unknown {
    if (!(error instanceof GatewayError) || error.param === null) return error;
    const param = this.clientPath(error.param);
    if (param === undefined) return error;
    let message = error.message.split(error.param).join(param);
    const index = /^messages\[(\d+)\]/.exec(error.param)?.[1];
    if (index !== undefined) {
      message = message.split(`messages[${index}]`).join(
        this.#messages.get(Number(index)) ?? param,
      );
    }
    return error.with({ message, param });
  }
}

/** A tool call or a tool result, where the client wrote it. */
export interface ToolLink {
  id: string;
  at: string;
}

/**
 * Checks that every tool result answers a call made before it, once, and that every call is
 * answered: the pairs GigaChat needs, judged on the client's own fields and ids.
 * `events` are in the client's order.
 */
export function checkToolPairs(
  events: readonly ({ kind: "call" } & ToolLink | { kind: "result" } & ToolLink)[],
  words: { call: string; result: string },
): void {
  const open = new Map<string, ToolLink>();
  const answered = new Set<string>();
  for (const event of events) {
    if (event.kind === "call") {
      // Two open calls with one id cannot both be answered: the second would reach the
      // pipeline and be refused there, in chat's words. (An id reused after its answer is fine.)
      const earlier = open.get(event.id);
      if (earlier !== undefined) {
        throw invalidRequest(
          `${event.at} reuses the id '${event.id}' of ${earlier.at}, which is not answered yet; ` +
            `each ${words.call} needs an id of its own.`,
          event.at,
        );
      }
      open.set(event.id, event);
      continue;
    }
    if (!open.has(event.id)) {
      const why = answered.has(event.id) ? "was answered already" : `matches no ${words.call}`;
      throw invalidRequest(
        `${event.at} '${event.id}' ${why}: each ${words.result} answers one ${words.call} ` +
          "made before it.",
        event.at,
      );
    }
    open.delete(event.id);
    answered.add(event.id);
  }
  for (const call of open.values()) {
    throw invalidRequest(
      `${call.at} ('${call.id}') has no ${words.result} answering it; every ${words.call} ` +
        `needs a ${words.result} with its id after it.`,
      call.at,
    );
  }
}
