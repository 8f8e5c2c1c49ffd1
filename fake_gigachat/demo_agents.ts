// The agent CLIs' command lines the demo prints, kept as data so its test runs exactly them.

/** What the demo asks the agents: a command to run, which the fake agent model runs once. */
export const AGENT_PROMPT = "Run `echo hello from GigaChat` and tell me what it printed.";

/** One agent CLI's command line against the demo. */
export interface AgentCommand {
  /** The product, as the banner names it. */
  title: string;
  /** The npm package that installs it. */
  npmPackage: string;
  env: Record<string, string>;
  program: string;
  args: string[];
}

/** Codex CLI and Claude Code pointed at the demo gateway at `origin` (no config file needed). */
export function agentCommands(origin: string): AgentCommand[] {
  return [
    {
      title: "Codex CLI",
      npmPackage: "@openai/codex",
      env: {},
      program: "codex",
      args: [
        "exec",
        "--skip-git-repo-check",
        "-c",
        'model_provider="gigachat"',
        "-c",
        `model_providers.gigachat={name="GigaChat",base_url="${origin}/v1",wire_api="responses"}`,
        "-m",
        "GigaChat-2-Max",
        AGENT_PROMPT,
      ],
    },
    {
      title: "Claude Code",
      npmPackage: "@anthropic-ai/claude-code",
      // Claude Code's background tasks ask for a haiku model unless told which one to use.
      env: {
        ANTHROPIC_BASE_URL: origin,
        ANTHROPIC_API_KEY: "demo",
        ANTHROPIC_SMALL_FAST_MODEL: "GigaChat-2",
      },
      program: "claude",
      args: ["-p", AGENT_PROMPT, "--model", "GigaChat-2-Max", "--allowedTools", "Bash"],
    },
  ];
}

/** The command as one line to paste into a POSIX shell. */
export function shellLine(command: AgentCommand): string {
  const env = Object.entries(command.env).map(([name, value]) => `${name}=${quote(value)}`);
  return [...env, command.program, ...command.args.map(quote)].join(" ");
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
