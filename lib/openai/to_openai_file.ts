/** OpenAI's file object. `purpose` is GigaChat's (`general`), as it is what the file has. */
export interface OpenAIFile {
  id: string;
  object: "file";
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: "processed";
}

/** A GigaChat FileObject (API-more.md §4) in OpenAI's shape; undefined without a string id. */
export function toOpenAIFile(entry: unknown): OpenAIFile | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const file = entry as Record<string, unknown>;
  if (typeof file.id !== "string" || file.id === "") return undefined;
  return {
    id: file.id,
    object: "file",
    bytes: typeof file.bytes === "number" ? file.bytes : 0,
    created_at: typeof file.created_at === "number" ? file.created_at : 0,
    filename: typeof file.filename === "string" ? file.filename : "",
    purpose: typeof file.purpose === "string" ? file.purpose : "general",
    status: "processed",
  };
}
