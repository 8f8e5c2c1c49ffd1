import assert from "node:assert/strict";
import { toImageOutputs, toUrlCitations } from "../../../lib/mapping/to_openai_annotations.ts";

const SOURCES = {
  "1": { url: "https://a.example/", title: "A" },
  "2": { url: "https://b.example/", title: "B" },
};

Deno.test("toUrlCitations turns GigaChat's [sources=[n]] markers into url_citation spans", async (t) => {
  const rows: {
    name: string;
    text: string;
    sources: Record<string, { url?: string; title?: string }> | undefined;
    expected: [string, number, number][];
  }[] = [
    {
      name:
        "one marker, the other source at the end (samples/v2chat_tool_web_search_response.json)",
      text: "Fast [sources=[2]].",
      sources: SOURCES,
      expected: [["https://b.example/", 5, 18], ["https://a.example/", 19, 19]],
    },
    {
      name: "a marker naming two sources, with spaces",
      text: "x [sources=[1, 2]]",
      sources: SOURCES,
      expected: [["https://a.example/", 2, 18], ["https://b.example/", 2, 18]],
    },
    {
      name: "a marker naming a source that is not there, and one without a url",
      text: "[sources=[7]] [sources=[3]]",
      sources: { "3": { title: "no url" } },
      expected: [],
    },
    { name: "no sources", text: "[sources=[1]]", sources: undefined, expected: [] },
    {
      name: "an inherited key is not a source",
      text: "[sources=[constructor]]",
      sources: {},
      expected: [],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(
        toUrlCitations(row.text, row.sources).map((a) => [
          a.url_citation.url,
          a.url_citation.start_index,
          a.url_citation.end_index,
        ]),
        row.expected,
      );
    });
  }
  await t.step("a title defaults to the url", () => {
    assert.equal(
      toUrlCitations("", { "1": { url: "https://c.example/" } })[0].url_citation.title,
      "https://c.example/",
    );
  });
});

Deno.test("toImageOutputs gives fetched images as data URLs, and skips the rest", () => {
  assert.deepEqual(
    toImageOutputs([
      { id: "a", mime: "image/png", data: "AAAA" },
      { id: "b" },
      { id: "c", data: "BBBB" },
    ]),
    [
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      { type: "image_url", image_url: { url: "data:image/jpeg;base64,BBBB" } },
    ],
  );
});
