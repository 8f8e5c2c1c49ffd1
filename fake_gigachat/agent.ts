// The demo's GigaChat as a small agent model: offered a shell tool and asked to run something,
// it calls the tool once, then answers from the tool's output. So `codex exec`, `claude -p` and
// Gemini CLI make a real tool round trip offline. Reads v1 and v2 bodies defensively: it runs
// before the fake validates them.
import { type ChatScript, exampleOf } from "./chat.ts";

/** The shell tools of the agent CLIs, by the name each one offers. */
const SHELL_TOOLS = ["exec_command", "shell", "Bash", "run_shell_command", "exec", "bash"];
/** Run when the user asks to run something without naming a command. */
export const DEFAULT_COMMAND = "echo hello from the gigachat-gateway demo";
/** A line that asks to run something; agents wrap prompts in context, so only its own line counts. */
const ASKS_TO_RUN = /^\s*(please\s+|пожалуйста,?\s+)?(run|execute|запусти|выполни)/i;

interface Tool {
  name: string;
  parameters?: Record<string, unknown>;
}

/** What the agent looks at: the tools offered, the last user text, a tool result after it. */
export interface AgentTurn {
  tools: Tool[];
  userText: string;
  /** The latest tool result's text, when it came after the last user message. */
  toolResult?: string;
}

/** The agent's move, or undefined to leave the answer to the fake's usual echo. */
export function agentScript(turn: AgentTurn): ChatScript | undefined {
  if (turn.toolResult !== undefined) {
    return { content: `The command printed: ${summarize(turn.toolResult)}` };
  }
  const shell = SHELL_TOOLS.map((name) => turn.tools.find((tool) => tool.name === name))
    .find((tool) => tool !== undefined);
  const ask = withoutReminders(turn.userText).split("\n").find((line) => ASKS_TO_RUN.test(line));
  if (shell === undefined || ask === undefined) return undefined;
  return { functionCall: { name: shell.name, arguments: shellArguments(shell, ask) } };
}

/** The tool's arguments: the command where its schema takes one, required fields filled. */
function shellArguments(tool: Tool, ask: string): Record<string, unknown> {
  const command = /`([^`]+)`/.exec(ask)?.[1] ?? DEFAULT_COMMAND;
  const schema = tool.parameters ?? {};
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const args: Record<string, unknown> = {};
  for (const name of required) args[name] = exampleOf(properties[name]);
  const key = ["cmd", "command"].find((name) => name in properties) ?? "command";
  args[key] = properties[key]?.type === "array" ? ["bash", "-lc", command] : command;
  if ("description" in properties) args.description = "Run the command the user asked for";
  return args;
}

/** The output's last lines, without the wrappers the CLIs put around it. */
function summarize(result: string): string {
  let text = result;
  try {
    const parsed = JSON.parse(result);
    if (typeof parsed === "string") text = parsed;
    else if (parsed !== null && typeof parsed === "object") {
      const strings = Object.values(parsed).filter((value) => typeof value === "string");
      if (strings.length > 0) text = strings.join("\n");
    }
  } catch {
    // Plain text already.
  }
  // Codex: "...\nOutput:\n<output>"; Gemini CLI: "Output: <output>\nProcess Group PGID: ...".
  const at = text.lastIndexOf("Output:");
  const output = at < 0 ? text : text.slice(at + "Output:".length);
  const lines = output.split("\n").map((line) => line.trim()).filter((line) =>
    line !== "" && !/^<\/?untrusted_context>$/.test(line) && !/^Process Group PGID:/.test(line)
  );
  const tail = lines.slice(-3).join(" / ").slice(0, 300);
  return tail === "" ? "(nothing)" : tail;
}

function withoutReminders(text: string): string {
  return text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, "");
}

/** The agent's view of a v1 body (`messages` of strings, `function` results, `functions`). */
export function agentTurnV1(body: unknown): AgentTurn {
  const request = asRecord(body);
  const messages = Array.isArray(request.messages) ? request.messages.map(asRecord) : [];
  const tools = Array.isArray(request.functions) ? request.functions.map(asTool) : [];
  const last = messages.at(-1);
  const user = messages.findLast((message) => message.role === "user");
  return {
    tools,
    userText: typeof user?.content === "string" ? user.content : "",
    toolResult: last?.role === "function" && typeof last.content === "string"
      ? last.content
      : undefined,
  };
}

/** The agent's view of a v2 body (content parts, `tool` results, `tools[].functions`). */
export function agentTurnV2(body: unknown): AgentTurn {
  const request = asRecord(body);
  const messages = Array.isArray(request.messages) ? request.messages.map(asRecord) : [];
  const tools = (Array.isArray(request.tools) ? request.tools.map(asRecord) : [])
    .flatMap((tool) => {
      const specs = asRecord(tool.functions).specifications;
      return Array.isArray(specs) ? specs.map(asTool) : [];
    });
  const parts = (message: Record<string, unknown> | undefined) =>
    Array.isArray(message?.content) ? message.content.map(asRecord) : [];
  const last = messages.at(-1);
  const user = messages.findLast((message) => message.role === "user");
  const result = parts(last).map((part) => asRecord(part.function_result).result).find((value) =>
    value !== undefined
  );
  return {
    tools,
    userText: parts(user).map((part) => typeof part.text === "string" ? part.text : "").join(""),
    toolResult: last?.role === "tool" && result !== undefined
      ? (typeof result === "string" ? result : JSON.stringify(result))
      : undefined,
  };
}

function asTool(value: unknown): Tool {
  const tool = asRecord(value);
  return {
    name: typeof tool.name === "string" ? tool.name : "",
    parameters: typeof tool.parameters === "object" && tool.parameters !== null
      ? tool.parameters as Record<string, unknown>
      : undefined,
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}
