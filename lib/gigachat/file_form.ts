/** A part of a multipart form: a text field, or a file with its name and type. */
export type FormPart =
  | { name: string; value: string }
  | { name: string; filename: string; type: string; bytes: Uint8Array };

/**
 * A multipart/form-data body for parts already in memory. It is a Blob, so a retry can send it
 * again (a stream can be sent once only).
 */
export function multipartForm(parts: readonly FormPart[]): { body: Blob; contentType: string } {
  const boundary = `gigachat-gateway-${crypto.randomUUID()}`;
  const pieces: BlobPart[] = [];
  for (const part of parts) {
    pieces.push(`--${boundary}\r\nContent-Disposition: form-data; name="${safe(part.name)}"`);
    if ("bytes" in part) {
      pieces.push(`; filename="${safe(part.filename)}"\r\nContent-Type: ${part.type}\r\n\r\n`);
      pieces.push(new Uint8Array(part.bytes));
    } else {
      pieces.push(`\r\n\r\n${part.value}`);
    }
    pieces.push("\r\n");
  }
  pieces.push(`--${boundary}--\r\n`);
  return { body: new Blob(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** GigaChat's upload form (API-more.md §4): the file, and `purpose` always `general`. */
export function fileForm(
  bytes: Uint8Array,
  filename: string,
  mime: string,
): { body: Blob; contentType: string } {
  return multipartForm([
    { name: "file", filename, type: mime, bytes },
    { name: "purpose", value: "general" },
  ]);
}

// Quotes and line breaks would end the header early.
function safe(text: string): string {
  return text.replace(/["\r\n\\]/g, "_");
}
