// The recorded Codex CLI, Claude Code and Gemini CLI sessions (tests/fixtures/sessions/, written by
// agent_sessions_test.ts) replayed turn by turn on this run's backend (v1, and v2 in CI's second
// pass): every turn answers as the fake was scripted, streams to its end, and GigaChat gets every
// tool result and image of the history.
import assert from "node:assert/strict";
import { type SessionFixture, type SessionTurn, unpackSession } from "./helpers/agent_session.ts";
import { DEMO_KEY, type Stack, startStack } from "./helpers/stack.ts";

type Item = Record<string, unknown>;

interface Dialect {
  /** Whether the stream ended as a successful one does. */
  ended(events: Item[]): boolean;
  /** The tool calls an answer made, by name. */
  calls(events: Item[]): string[];
  text(events: Item[]): string;
  /** Tool results in the request's history, and whether it holds an image. */
  history(body: Item): { results: number; image: boolean };
}

const blocks = (value: unknown): Item[] => Array.isArray(value) ? value as Item[] : [];

const RESPONSES: Dialect = {
  ended: (events) => events.at(-1)?.type === "response.completed",
  calls: (events) =>
    events.filter((event) => event.type === "response.output_item.done")
      .map((event) => event.item as Item).filter((item) => item.type === "function_call")
      .map((item) => String(item.name)),
  text: (events) =>
    events.filter((event) => event.type === "response.output_text.delta").map((
      event,
    ) => event.delta).join(""),
  history: (body) => {
    const input = blocks(body.input);
    return {
      results: input.filter((item) => item.type === "function_call_output").length,
      image: JSON.stringify(input).includes('"input_image"'),
    };
  },
};

const MESSAGES: Dialect = {
  ended: (events) => events.at(-1)?.type === "message_stop",
  calls: (events) =>
    events.filter((event) => event.type === "content_block_start")
      .map((event) => event.content_block as Item).filter((block) => block.type === "tool_use")
      .map((block) => String(block.name)),
  text: (events) =>
    events.filter((event) => event.type === "content_block_delta").map((
      event,
    ) => (event.delta as Item).text ?? "").join(""),
  history: (body) => {
    const content = blocks(body.messages).flatMap((message) => blocks(message.content));
    return {
      results: content.filter((block) => block.type === "tool_result").length,
      image: JSON.stringify(content).includes('"type":"image"'),
    };
  },
};

/** The first candidate's parts of each streamed GenerateContentResponse. */
const geminiParts = (events: Item[]): Item[] =>
  events.flatMap((event) =>
    blocks(((event.candidates as Item[] | undefined)?.[0]?.content as Item | undefined)?.parts)
  );

const GEMINI: Dialect = {
  ended: (events) =>
    typeof (events.at(-1)?.candidates as Item[] | undefined)?.[0]?.finishReason === "string",
  calls: (events) =>
    geminiParts(events).flatMap((part) =>
      part.functionCall ? [String((part.functionCall as Item).name)] : []
    ),
  text: (events) =>
    geminiParts(events).filter((part) => part.thought !== true).map((part) => part.text ?? "")
      .join(""),
  history: (body) => {
    const parts = blocks(body.contents).flatMap((content) => blocks(content.parts));
    // Gemini CLI repeats a resumed session's responses; each call is answered once.
    const answered = new Set(
      parts.flatMap((part) => part.functionResponse ? [JSON.stringify(part.functionResponse)] : []),
    );
    return { results: answered.size, image: parts.some((part) => part.inlineData !== undefined) };
  },
};

async function fixture(name: string): Promise<SessionTurn[]> {
  const url = new URL(`./fixtures/sessions/${name}.json`, import.meta.url);
  return unpackSession(
    JSON.parse(await Deno.readTextFile(url)) as SessionFixture,
  );
}

/** The data of each SSE event in a whole stream. */
function events(stream: string): Item[] {
  return stream.split(/\r?\n\r?\n/).flatMap((frame) => {
    const data = frame.split(/\r?\n/).filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trimStart()).join("\n");
    return data === "" || data === "[DONE]" ? [] : [JSON.parse(data) as Item];
  });
}

async function replay(
  stack: Stack,
  turn: SessionTurn,
  dialect: Dialect,
  label: string,
) {
  if (turn.script !== null) stack.fake.scriptChat(turn.script);
  const response = await fetch(`${stack.origin}${turn.path}`, {
    method: "POST",
    headers: {
      ...turn.headers,
      authorization: `Bearer ${DEMO_KEY}`,
      "x-api-key": DEMO_KEY,
    },
    body: JSON.stringify(turn.body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${label}: ${text.slice(0, 500)}`);
  const stream = events(text);
  assert.ok(dialect.ended(stream), `${label}: the stream ends as it should`);
  const want = turn.script?.functionCall?.name;
  if (want !== undefined) {
    assert.deepEqual(dialect.calls(stream), [want], label);
  } else assert.equal(dialect.text(stream), turn.script?.content, label);
  // Nothing of the history lost on the way to GigaChat.
  const sent = stack.fake.chatBodies().at(-1)?.messages as Item[];
  const { results, image } = dialect.history(turn.body);
  assert.equal(
    sent.filter((message) => message.role === "function").length,
    results,
    label,
  );
  if (image) {
    assert.ok(
      sent.some((message) => blocks(message.attachments).length > 0),
      `${label}: image`,
    );
  }
}

const SESSIONS = [["codex", RESPONSES], ["claude_code", MESSAGES], ["gemini_cli", GEMINI]] as const;

for (const [name, dialect] of SESSIONS) {
  Deno.test(`the recorded ${name} session replays turn by turn`, async () => {
    const turns = await fixture(name);
    assert.ok(turns.length >= 10, "a long session");
    const stack = await startStack({
      // Claude Code's background model, as its users map it.
      env: { MODEL_ALIASES: '{"claude-haiku-4-5":"GigaChat-2"}' },
    });
    try {
      for (const [i, turn] of turns.entries()) {
        await replay(
          stack,
          turn,
          dialect,
          `${name} turn ${i + 1}${turn.derived ? " (derived)" : ""}`,
        );
      }
    } finally {
      await stack.close();
    }
  });
}
