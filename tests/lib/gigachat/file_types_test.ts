import assert from "node:assert/strict";
import { ACCEPTED_TYPES, fileTypeOf } from "../../../lib/gigachat/file_types.ts";

// Limits per kind, API-more.md §4a.
const IMAGE = 15 * 1024 * 1024; // 15728640
const DOCUMENT = 40 * 1024 * 1024; // 41943040
const AUDIO = 35 * 1024 * 1024; // 36700160

type Row = {
  name: string;
  filename: string;
  declared: string | undefined;
  expected: { mime: string; maxBytes: number } | undefined;
};

Deno.test("fileTypeOf takes a declared type GigaChat accepts", async (t) => {
  const rows: Row[] = [
    {
      name: "text/plain",
      filename: "a.txt",
      declared: "text/plain",
      expected: { mime: "text/plain", maxBytes: 41943040 },
    },
    {
      name: "application/pdf",
      filename: "invoicesample.pdf",
      declared: "application/pdf",
      expected: { mime: "application/pdf", maxBytes: 41943040 },
    },
    {
      name: "docx",
      filename: "a.docx",
      declared: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      expected: {
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        maxBytes: 41943040,
      },
    },
    {
      name: "doc",
      filename: "a.doc",
      declared: "application/msword",
      expected: { mime: "application/msword", maxBytes: 41943040 },
    },
    {
      name: "image/jpeg",
      filename: "image.jpg",
      declared: "image/jpeg",
      expected: { mime: "image/jpeg", maxBytes: 15728640 },
    },
    {
      name: "image/png",
      filename: "a.png",
      declared: "image/png",
      expected: { mime: "image/png", maxBytes: 15728640 },
    },
    {
      name: "image/tiff",
      filename: "a.tif",
      declared: "image/tiff",
      expected: { mime: "image/tiff", maxBytes: 15728640 },
    },
    {
      name: "image/bmp",
      filename: "a.bmp",
      declared: "image/bmp",
      expected: { mime: "image/bmp", maxBytes: 15728640 },
    },
    {
      name: "audio/mp4",
      filename: "a.mp4",
      declared: "audio/mp4",
      expected: { mime: "audio/mp4", maxBytes: 36700160 },
    },
    {
      name: "audio/x-m4a",
      filename: "a.m4a",
      declared: "audio/x-m4a",
      expected: { mime: "audio/x-m4a", maxBytes: 36700160 },
    },
    {
      name: "audio/opus",
      filename: "a.opus",
      declared: "audio/opus",
      expected: { mime: "audio/opus", maxBytes: 36700160 },
    },
    {
      name: "the declared type wins over the extension",
      filename: "notes.exe",
      declared: "text/plain",
      expected: { mime: "text/plain", maxBytes: 41943040 },
    },
    {
      name: "a declared type with no file extension",
      filename: "scan",
      declared: "image/png",
      expected: { mime: "image/png", maxBytes: 15728640 },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(fileTypeOf(row.filename, row.declared), row.expected),
    );
  }
});

Deno.test("fileTypeOf maps common spellings to the one GigaChat knows", async (t) => {
  const rows: Row[] = [
    {
      name: "image/jpg (older docs, §4a)",
      filename: "a.jpg",
      declared: "image/jpg",
      expected: { mime: "image/jpeg", maxBytes: 15728640 },
    },
    {
      name: "image/x-ms-bmp",
      filename: "a.bmp",
      declared: "image/x-ms-bmp",
      expected: { mime: "image/bmp", maxBytes: 15728640 },
    },
    {
      name: "audio/mpeg (what browsers send for mp3)",
      filename: "a.mp3",
      declared: "audio/mpeg",
      expected: { mime: "audio/mp3", maxBytes: 36700160 },
    },
    {
      name: "audio/x-wav",
      filename: "a.wav",
      declared: "audio/x-wav",
      expected: { mime: "audio/wav", maxBytes: 36700160 },
    },
    {
      name: "audio/wave",
      filename: "a.wav",
      declared: "audio/wave",
      expected: { mime: "audio/wav", maxBytes: 36700160 },
    },
    {
      name: "audio/x-pn-wav",
      filename: "a.wav",
      declared: "audio/x-pn-wav",
      expected: { mime: "audio/wav", maxBytes: 36700160 },
    },
    {
      name: "audio/ogg",
      filename: "a.ogg",
      declared: "audio/ogg",
      expected: { mime: "audio/x-ogg", maxBytes: 36700160 },
    },
    {
      name: "application/epub+zip",
      filename: "a.epub",
      declared: "application/epub+zip",
      expected: { mime: "application/epub", maxBytes: 41943040 },
    },
    {
      name: "application/vnd.ms-powerpoint",
      filename: "a.ppt",
      declared: "application/vnd.ms-powerpoint",
      expected: { mime: "application/ppt", maxBytes: 41943040 },
    },
    {
      name: "pptx's registered type",
      filename: "a.pptx",
      declared: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
      expected: { mime: "application/pptx", maxBytes: 41943040 },
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(fileTypeOf(row.filename, row.declared), row.expected),
    );
  }
});

Deno.test("fileTypeOf goes by the extension when the type is missing or generic", async (t) => {
  const rows: Row[] = [
    {
      name: "octet-stream .pdf",
      filename: "invoicesample.pdf",
      declared: "application/octet-stream",
      expected: { mime: "application/pdf", maxBytes: 41943040 },
    },
    {
      name: "no type .jpg",
      filename: "123.jpg",
      declared: undefined,
      expected: { mime: "image/jpeg", maxBytes: 15728640 },
    },
    {
      name: "no type .jpeg",
      filename: "a.jpeg",
      declared: undefined,
      expected: { mime: "image/jpeg", maxBytes: 15728640 },
    },
    {
      name: "upper-case .JPG",
      filename: "IMG_0001.JPG",
      declared: undefined,
      expected: { mime: "image/jpeg", maxBytes: 15728640 },
    },
    {
      name: "mixed-case .Pdf",
      filename: "Report.Pdf",
      declared: "application/octet-stream",
      expected: { mime: "application/pdf", maxBytes: 41943040 },
    },
    {
      name: "only the last extension counts",
      filename: "archive.tar.txt",
      declared: undefined,
      expected: { mime: "text/plain", maxBytes: 41943040 },
    },
    {
      name: "a Cyrillic name",
      filename: "отчёт.docx",
      declared: undefined,
      expected: {
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        maxBytes: 41943040,
      },
    },
    {
      name: ".tif",
      filename: "a.tif",
      declared: undefined,
      expected: { mime: "image/tiff", maxBytes: 15728640 },
    },
    {
      name: ".wav",
      filename: "a.wav",
      declared: "application/octet-stream",
      expected: { mime: "audio/wav", maxBytes: 36700160 },
    },
    {
      name: ".mp3",
      filename: "a.mp3",
      declared: undefined,
      expected: { mime: "audio/mp3", maxBytes: 36700160 },
    },
    {
      name: ".weba",
      filename: "a.weba",
      declared: undefined,
      expected: { mime: "audio/webm", maxBytes: 36700160 },
    },
    {
      name: ".pptx",
      filename: "deck.pptx",
      declared: undefined,
      expected: { mime: "application/pptx", maxBytes: 41943040 },
    },
    { name: "no extension", filename: "README", declared: undefined, expected: undefined },
    { name: "a trailing dot", filename: "a.", declared: undefined, expected: undefined },
    { name: "an empty name", filename: "", declared: undefined, expected: undefined },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(fileTypeOf(row.filename, row.declared), row.expected),
    );
  }
});

Deno.test("fileTypeOf refuses what GigaChat does not take", async (t) => {
  const rows: Row[] = [
    {
      name: "image/gif (§4a: no GIF)",
      filename: "a.gif",
      declared: "image/gif",
      expected: undefined,
    },
    { name: "image/webp", filename: "a.webp", declared: "image/webp", expected: undefined },
    { name: "image/svg+xml", filename: "a.svg", declared: "image/svg+xml", expected: undefined },
    {
      name: "an executable",
      filename: "setup.exe",
      declared: "application/x-msdownload",
      expected: undefined,
    },
    { name: ".gif by extension", filename: "a.gif", declared: undefined, expected: undefined },
    {
      name: ".webp by extension",
      filename: "a.webp",
      declared: "application/octet-stream",
      expected: undefined,
    },
    { name: ".svg by extension", filename: "a.svg", declared: undefined, expected: undefined },
    {
      name: ".exe by extension",
      filename: "setup.exe",
      declared: "application/octet-stream",
      expected: undefined,
    },
    {
      name: "an unsupported declared type is not rescued by the extension",
      filename: "a.png",
      declared: "image/gif",
      expected: undefined,
    },
    {
      name: "video/mp4 is not audio/mp4",
      filename: "a.mp4",
      declared: "video/mp4",
      expected: undefined,
    },
    {
      name: "application/json",
      filename: "a.json",
      declared: "application/json",
      expected: undefined,
    },
  ];
  for (const row of rows) {
    await t.step(
      row.name,
      () => assert.deepEqual(fileTypeOf(row.filename, row.declared), row.expected),
    );
  }
});

Deno.test("fileTypeOf gives each kind its own limit", () => {
  assert.deepEqual(
    [
      fileTypeOf("a.png", undefined)?.maxBytes,
      fileTypeOf("a.pdf", undefined)?.maxBytes,
      fileTypeOf("a.mp3", undefined)?.maxBytes,
    ],
    [IMAGE, DOCUMENT, AUDIO],
  );
});

Deno.test("ACCEPTED_TYPES lists each type GigaChat accepts once", () => {
  assert.deepEqual(
    [...ACCEPTED_TYPES].sort(),
    [
      "application/epub",
      "application/msword",
      "application/pdf",
      "application/ppt",
      "application/pptx",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "audio/mp3",
      "audio/mp4",
      "audio/wav",
      "audio/webm",
      "audio/x-m4a",
      "audio/x-ogg",
      "audio/opus",
      "image/bmp",
      "image/jpeg",
      "image/png",
      "image/tiff",
      "text/plain",
    ].sort(),
  );
  assert.equal(new Set(ACCEPTED_TYPES).size, ACCEPTED_TYPES.length);
});

// Bug: lib/gigachat/file_types.ts:76 — `types[extension]` reads plain objects, so an extension
// that names an Object.prototype member ("x.constructor") yields a function as the MIME type.
Deno.test({
  name: "fileTypeOf refuses extensions that name Object.prototype members",
  fn: () => {
    assert.equal(fileTypeOf("x.constructor", undefined), undefined);
  },
});
