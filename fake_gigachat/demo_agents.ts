// The agent CLIs' command lines the demo prints, kept as data so its test runs exactly them.

/** What the demo asks the agents: a command to run, which the fake agent model runs once. */
export const AGENT_PROMPT = "Run `echo hello from GigaChat` and tell me what it printed.";

/** One agent CLI's command line against the demo. */
export interface AgentCommand {
  /** The product, as the banner names it. */
  title: string;
  /** The npm package that installs it. */
  npmPackage: string;
  /** A shell line to run once before (it leaves any existing setting alone). */
  setup?: string;
  env: Record<string, string>;
  program: string;
  args: string[];
}

/** What Gemini CLI needs to run headless with a key: API-key auth chosen in its settings. */
export const GEMINI_SETTINGS = '{"security":{"auth":{"selectedType":"gemini-api-key"}}}';

/** Codex CLI, Claude Code and Gemini CLI pointed at the demo gateway at `origin`. */
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
    {
      title: "Gemini CLI",
      npmPackage: "@google/gemini-cli",
      setup:
        `mkdir -p ~/.gemini && { [ -e ~/.gemini/settings.json ] || echo '${GEMINI_SETTINGS}' ` +
        "> ~/.gemini/settings.json; }",
      // Headless, it runs only in a folder it trusts, and offers its shell tool with --yolo.
      env: {
        GOOGLE_GEMINI_BASE_URL: origin,
        GEMINI_API_KEY: "demo",
        GEMINI_CLI_TRUST_WORKSPACE: "true",
      },
      program: "gemini",
      args: ["-p", AGENT_PROMPT, "-m", "GigaChat-2-Max", "--yolo"],
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
