import type { LogLevel } from "./config.ts";

/** Where finished log lines go; tests pass their own to read what was logged. */
export type LogSink = (line: string) => void;

/** Structured fields of a log line; values must be JSON-serialisable. */
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

// Whatever slips into a message (an upstream echo, an exception text), credentials never do.
const AUTH_VALUE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{12,}/gi;

// deno-lint-ignore no-console
const stdoutSink: LogSink = (line) => console.log(line);

export interface LoggerOptions {
  level: LogLevel;
  sink?: LogSink;
  /** Literal values (configured keys) to scrub from every line. */
  secrets?: readonly string[];
}

/** One JSON object per line, redacted before it is written. */
export class Logger {
  readonly #rank: number;
  readonly #sink: LogSink;
  readonly #secrets: readonly string[];

  constructor(options: LoggerOptions) {
    this.#rank = RANK[options.level];
    this.#sink = options.sink ?? stdoutSink;
    this.#secrets = (options.secrets ?? []).filter((secret) => secret.length >= 4);
  }

  /** Logs at debug level. */
  debug(msg: string, fields?: LogFields): void {
    this.#write("debug", msg, fields);
  }

  /** Logs at info level. */
  info(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields);
  }

  /** Logs at warn level. */
  warn(msg: string, fields?: LogFields): void {
    this.#write("warn", msg, fields);
  }

  /** Logs at error level. */
  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields);
  }

  #write(level: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields): void {
    if (RANK[level] < this.#rank) return;
    let line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
    line = line.replace(AUTH_VALUE, "$1 [redacted]");
    for (const secret of this.#secrets) {
      // Both forms: as written, and as JSON escapes it (a key holding `"` or `\`).
      line = line.replaceAll(secret, "[redacted]");
      line = line.replaceAll(JSON.stringify(secret).slice(1, -1), "[redacted]");
    }
    this.#sink(line);
  }
}

/** A short, safe description of an unknown error for a log line (no stack, no cause chain). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
