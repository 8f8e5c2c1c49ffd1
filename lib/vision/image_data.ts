import { GatewayError, invalidRequest } from "../errors.ts";

/** GigaChat's per-image limit (API-more.md §4a). */
export const MAX_IMAGE_BYTES = 15 * 1024 * 1024;

/** The image types GigaChat accepts (API-more.md §4a): no GIF, no WebP. */
export const ACCEPTED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/tiff", "image/bmp"] as const;

/** The image type the bytes themselves show, whatever a URL or header claims. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return "image/tiff";
  if (starts(0x42, 0x4d)) return "image/bmp";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP") {
    return "image/webp";
  }
  if (String.fromCharCode(...bytes.subarray(0, 256)).includes("<svg")) return "image/svg+xml";
  return undefined;
}

/**
 * The accepted MIME type of an image, judged by its bytes. @throws {GatewayError} 400 naming
 * the type that was sent, or 400 for an image over 15 MB.
 */
export function checkImage(bytes: Uint8Array, declared: string | undefined, param: string): string {
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw imageTooLarge(param);
  const type = sniffImageType(bytes);
  if (type !== undefined && (ACCEPTED_IMAGE_TYPES as readonly string[]).includes(type)) return type;
  const sent = type ?? declared ?? "an unknown type";
  throw invalidRequest(
    `${param}: the image is ${sent}; GigaChat accepts ${ACCEPTED_IMAGE_TYPES.join(", ")}.`,
    param,
    "unsupported_image_type",
  );
}

/** 400 for an image over GigaChat's limit. */
export function imageTooLarge(param: string): GatewayError {
  return invalidRequest(
    `${param}: the image is larger than GigaChat's ${MAX_IMAGE_BYTES / 1024 / 1024} MB limit.`,
    param,
    "image_too_large",
  );
}

/**
 * A `data:` URL's bytes and declared type. @throws {GatewayError} 400 for a malformed URL or bad
 * base64.
 */
export function parseDataUrl(
  url: string,
  param: string,
  maxBytes = MAX_IMAGE_BYTES,
): { bytes: Uint8Array; declared?: string } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (match === null || !/;base64/i.test(match[2])) {
    throw invalidRequest(`${param}: a data URL must be base64 ("data:<type>;base64,...").`, param);
  }
  // 15 MB is 20 MB of base64; stop before decoding anything bigger than the limit allows.
  if (match[3].length > Math.ceil(maxBytes / 3) * 4 + 4) {
    throw maxBytes === MAX_IMAGE_BYTES ? imageTooLarge(param) : invalidRequest(
      `${param}: the file is larger than GigaChat accepts (${maxBytes / 1024 / 1024} MB).`,
      param,
      "file_too_large",
    );
  }
  try {
    const binary = atob(match[3].replace(/\s+/g, ""));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return { bytes, declared: match[1] || undefined };
  } catch {
    throw invalidRequest(`${param}: the data URL's base64 is not valid.`, param, "invalid_base64");
  }
}
