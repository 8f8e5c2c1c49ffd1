import manifest from "../deno.json" with { type: "json" };

/** The gateway's version, from deno.json, compiled into the binary. */
export const VERSION: string = manifest.version;

/** The product name shown by `GET /` and `--version`. */
export const NAME = "gigachat-gateway";
