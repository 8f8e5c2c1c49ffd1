import assert from "node:assert/strict";
import { cutAtStop, StopCutter } from "../../../lib/mapping/stop_cutter.ts";

type Cut = { text: string; stopped: boolean; sequence?: string };

Deno.test("StopCutter cuts a stream of pieces at the first stop sequence", async (t) => {
  const rows: {
    name: string;
    stops: string[];
    pieces: string[];
    pushed: Cut[];
    flushed: string;
  }[] = [
    {
      name: "stop split across pieces: 'one E', 'N', 'D'",
      stops: ["END"],
      pieces: ["one E", "N", "D"],
      pushed: [
        { text: "one ", stopped: false },
        { text: "", stopped: false },
        { text: "", stopped: true },
      ],
      flushed: "",
    },
    {
      name: "held-back prefix released when it turns out not to be a stop",
      stops: ["END"],
      pieces: ["one E", "NX", " two"],
      pushed: [
        { text: "one ", stopped: false },
        { text: "ENX", stopped: false },
        { text: " two", stopped: false },
      ],
      flushed: "",
    },
    {
      name: "holdback flushed when no stop comes",
      stops: ["END"],
      pieces: ["the E"],
      pushed: [{ text: "the ", stopped: false }],
      flushed: "E",
    },
    {
      name: "several stops: the earliest wins",
      stops: ["STOP", "END"],
      pieces: ["a END b STOP"],
      pushed: [{ text: "a ", stopped: true }],
      flushed: "",
    },
    {
      name: "several stops across pieces",
      stops: ["###", "\n\n"],
      pieces: ["Answer\n", "\nmore"],
      pushed: [{ text: "Answer", stopped: false }, { text: "", stopped: true }],
      flushed: "",
    },
    {
      name: "everything after the stop is dropped",
      stops: ["END"],
      pieces: ["aENDb", "more"],
      pushed: [{ text: "a", stopped: true }, { text: "", stopped: true }],
      flushed: "",
    },
    {
      name: "stop at the very start",
      stops: ["Q:"],
      pieces: ["Q: hi"],
      pushed: [{ text: "", stopped: true }],
      flushed: "",
    },
    {
      name: "longest pending prefix held",
      stops: ["abcabd"],
      pieces: ["xabcab", "cabd"],
      pushed: [{ text: "x", stopped: false }, { text: "abc", stopped: true }],
      flushed: "",
    },
    {
      name: "Cyrillic stop",
      stops: ["Конец"],
      pieces: ["Текст Ко", "нец и ещё"],
      pushed: [{ text: "Текст ", stopped: false }, { text: "", stopped: true }],
      flushed: "",
    },
    {
      name: "no stops: pass-through",
      stops: [],
      pieces: ["one E", "N", "D"],
      pushed: [
        { text: "one E", stopped: false },
        { text: "N", stopped: false },
        { text: "D", stopped: false },
      ],
      flushed: "",
    },
    {
      name: "empty stop strings ignored",
      stops: [""],
      pieces: ["abc"],
      pushed: [{ text: "abc", stopped: false }],
      flushed: "",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const cutter = new StopCutter(row.stops);
      assert.deepEqual(row.pieces.map((piece) => cutter.push(piece)), row.pushed);
      assert.equal(cutter.flush(), row.flushed);
      assert.equal(cutter.flush(), "", "a second flush gives nothing");
    });
  }
});

Deno.test("cutAtStop cuts a complete text", async (t) => {
  const rows: { name: string; text: string; stops: string[]; expected: Cut }[] = [
    {
      name: "cut before the stop",
      text: "Hello END world",
      stops: ["END"],
      expected: { text: "Hello ", stopped: true, sequence: "END" },
    },
    {
      name: "earliest of several",
      text: "b STOP a END",
      stops: ["END", "STOP"],
      expected: { text: "b ", stopped: true, sequence: "STOP" },
    },
    {
      name: "a stop prefix at the end is kept",
      text: "Hello E",
      stops: ["END"],
      expected: { text: "Hello E", stopped: false },
    },
    { name: "no stops", text: "Hello", stops: [], expected: { text: "Hello", stopped: false } },
    { name: "empty text", text: "", stops: ["x"], expected: { text: "", stopped: false } },
    {
      name: "whole text is the stop",
      text: "END",
      stops: ["END"],
      expected: { text: "", stopped: true, sequence: "END" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => assert.deepEqual(cutAtStop(row.text, row.stops), row.expected));
  }
});
