/** GigaChat's upload form (API-more.md §4) for bytes already in memory: `file`, `purpose`. */
export function fileForm(
  bytes: Uint8Array,
  filename: string,
  mime: string,
): { body: ReadableStream<Uint8Array>; contentType: string } {
  const boundary = `gigachat-gateway-${crypto.randomUUID()}`;
  const safeName = filename.replace(/["\r\n\\]/g, "_");
  const form = new Blob([
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\n` +
    `Content-Type: ${mime}\r\n\r\n`,
    new Uint8Array(bytes),
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\ngeneral\r\n` +
    `--${boundary}--\r\n`,
  ]);
  return { body: form.stream(), contentType: `multipart/form-data; boundary=${boundary}` };
}
