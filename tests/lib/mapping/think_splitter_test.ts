import assert from "node:assert/strict";
import { splitThink, ThinkSplitter } from "../../../lib/mapping/think_splitter.ts";

Deno.test("splitThink splits a leading <think> block from the answer", async (t) => {
  const rows: { name: string; text: string; reasoning: string; content: string }[] = [
    { name: "no tag", text: "Just an answer.", reasoning: "", content: "Just an answer." },
    {
      name: "a leading block (HOSTS-AND-MODELS.md §Reasoning)",
      text: "<think>2 + 2 is 4.</think>\nThe answer is 4.",
      reasoning: "2 + 2 is 4.",
      content: "The answer is 4.",
    },
    {
      name: "white space before the tag",
      text: "\n  <think>hm</think>ok",
      reasoning: "hm",
      content: "ok",
    },
    {
      name: "a tag later in the answer is the answer's own text",
      text: "Use <think>…</think> tags to mark reasoning.",
      reasoning: "",
      content: "Use <think>…</think> tags to mark reasoning.",
    },
    {
      name: "an unclosed block is all reasoning",
      text: "<think>cut off",
      reasoning: "cut off",
      content: "",
    },
    { name: "an empty answer", text: "", reasoning: "", content: "" },
    { name: "a lone '<'", text: "<", reasoning: "", content: "<" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(splitThink(row.text), { reasoning: row.reasoning, content: row.content });
    });
  }
});

Deno.test("ThinkSplitter holds back a tag cut across stream pieces", async (t) => {
  const whole = "<think>Считаем: 2+2.</think>\nОтвет: 4.";
  // Every way of cutting the text in two, and one piece per character.
  const cuts: string[][] = [];
  for (let i = 1; i < whole.length; i++) cuts.push([whole.slice(0, i), whole.slice(i)]);
  cuts.push([...whole]);
  for (const pieces of cuts) {
    await t.step(pieces.length === 2 ? `cut at ${pieces[0].length}` : "one per character", () => {
      const splitter = new ThinkSplitter();
      let reasoning = "";
      let content = "";
      for (const piece of pieces) {
        const out = splitter.push(piece);
        reasoning += out.reasoning;
        content += out.content;
      }
      const rest = splitter.flush();
      assert.equal(reasoning + rest.reasoning, "Считаем: 2+2.");
      assert.equal(content + rest.content, "Ответ: 4.");
    });
  }
});
