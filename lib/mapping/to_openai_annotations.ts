import type { GeneratedFile, GigaChatAssistantPart } from "../gigachat/types.ts";
import type { OpenAIImageOutput, OpenAIUrlCitation } from "../openai/types.ts";

// GigaChat cites a source inline as `[sources=[2]]` (or several, `[sources=[1, 2]]`), by the
// keys of the answer's `inline_data.sources` (samples/v2chat_tool_web_search_response.json).
const MARKER = /\[sources=\[([\d,\s]+)\]\]/g;

/**
 * A searched answer's sources → OpenAI url_citation annotations: one per marker and source it
 * names, spanning the marker; a source no marker names gets an empty span at the end, so no
 * source is lost. The text itself is left as GigaChat wrote it.
 */
export function toUrlCitations(
  text: string,
  sources: GigaChatAssistantPart["sources"],
): OpenAIUrlCitation[] {
  if (sources === undefined) return [];
  const out: OpenAIUrlCitation[] = [];
  const cited = new Set<string>();
  for (const match of text.matchAll(MARKER)) {
    for (const key of match[1].split(",").map((item) => item.trim())) {
      const source = Object.hasOwn(sources, key) ? sources[key] : undefined;
      if (typeof source?.url !== "string") continue;
      cited.add(key);
      out.push(citation(source.url, source.title, match.index, match.index + match[0].length));
    }
  }
  for (const [key, source] of Object.entries(sources)) {
    if (cited.has(key) || typeof source?.url !== "string") continue;
    out.push(citation(source.url, source.title, text.length, text.length));
  }
  return out;
}

/** Generated files that were fetched → images as data URLs. */
export function toImageOutputs(files: readonly GeneratedFile[] | undefined): OpenAIImageOutput[] {
  return (files ?? []).filter((file) => file.data !== undefined).map((file) => ({
    type: "image_url",
    image_url: { url: `data:${file.mime ?? "image/jpeg"};base64,${file.data}` },
  }));
}

function citation(
  url: string,
  title: string | undefined,
  start: number,
  end: number,
): OpenAIUrlCitation {
  return {
    type: "url_citation",
    url_citation: { url, title: title ?? url, start_index: start, end_index: end },
  };
}
