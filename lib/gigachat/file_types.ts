// What GigaChat's POST /files accepts, per API-more.md §4a (official docs, mirrored by gpt2giga).

const MB = 1024 * 1024;

/** Accepted MIME types and the size limit of each kind. */
export const FILE_KINDS = {
  document: {
    maxBytes: 40 * MB,
    types: {
      txt: "text/plain",
      doc: "application/msword",
      docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      pdf: "application/pdf",
      epub: "application/epub",
      ppt: "application/ppt",
      pptx: "application/pptx",
    },
  },
  image: {
    maxBytes: 15 * MB,
    types: {
      jpg: "image/jpeg",
      jpeg: "image/jpeg",
      png: "image/png",
      tiff: "image/tiff",
      tif: "image/tiff",
      bmp: "image/bmp",
    },
  },
  audio: {
    maxBytes: 35 * MB,
    types: {
      mp4: "audio/mp4",
      mp3: "audio/mp3",
      m4a: "audio/x-m4a",
      wav: "audio/wav",
      weba: "audio/webm",
      ogg: "audio/x-ogg",
      opus: "audio/opus",
    },
  },
} as const;

// Common spellings of the same types that clients send.
const ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/x-ms-bmp": "image/bmp",
  "audio/mpeg": "audio/mp3",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "audio/x-pn-wav": "audio/wav",
  "audio/ogg": "audio/x-ogg",
  "application/epub+zip": "application/epub",
  "application/vnd.ms-powerpoint": "application/ppt",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "application/pptx",
};

/** Every type GigaChat accepts, for error messages. */
export const ACCEPTED_TYPES: readonly string[] = [
  ...new Set(Object.values(FILE_KINDS).flatMap((kind) => Object.values(kind.types))),
];

/**
 * The MIME type to send GigaChat and its size limit, from the declared type or, when that is
 * missing or generic, the file name's extension. Undefined when GigaChat does not take the file.
 */
export function fileTypeOf(
  filename: string,
  declared: string | undefined,
): { mime: string; maxBytes: number } | undefined {
  const generic = declared === undefined || declared === "application/octet-stream";
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  for (const kind of Object.values(FILE_KINDS)) {
    const types: Record<string, string> = kind.types;
    const mime = generic
      ? (extension === undefined || !Object.hasOwn(types, extension) ? undefined : types[extension])
      : Object.values(types).find((type) => type === (ALIASES[declared] ?? declared));
    if (mime !== undefined) return { mime, maxBytes: kind.maxBytes };
  }
  return undefined;
}

/** The usual file extension of a type GigaChat accepts (`text/plain` → `txt`), if any. */
export function extensionOf(mime: string): string | undefined {
  const canonical = ALIASES[mime] ?? mime;
  for (const kind of Object.values(FILE_KINDS)) {
    for (const [extension, type] of Object.entries(kind.types)) {
      if (type === canonical) return extension;
    }
  }
  return undefined;
}
