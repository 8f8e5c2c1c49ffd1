import { ConfigError } from "../config.ts";
import { RUSSIAN_TRUSTED_CAS } from "./russian_ca.ts";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads GIGACHAT_CA_FILE and returns the certificates in it. @throws {ConfigError} */
export async function readExtraCaFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "does not exist"
      : error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ? "is outside what the gateway may read: `deno task start` reads only its working " +
        "folder, so copy the file there (or run main.ts with --allow-read=<that path>)"
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    throw new ConfigError(`GIGACHAT_CA_FILE ${path} ${reason}`);
  }
  const pems = text.match(PEM_CERTIFICATE) ?? [];
  if (pems.length === 0) {
    throw new ConfigError(`GIGACHAT_CA_FILE ${path} holds no PEM certificate`);
  }
  return pems;
}

/**
 * The HTTP client for every upstream call: the default roots plus the Russian Trusted CAs and
 * any extra CAs. Certificate checks stay on; there is deliberately no switch to disable them.
 * @throws {ConfigError} when an extra certificate cannot be used.
 */
export function createUpstreamHttpClient(extraCas: readonly string[] = []): Deno.HttpClient {
  try {
    return Deno.createHttpClient({ caCerts: [...RUSSIAN_TRUSTED_CAS, ...extraCas] });
  } catch (error) {
    throw new ConfigError(
      `GIGACHAT_CA_FILE holds a certificate that cannot be used (${
        error instanceof Error ? error.message : String(error)
      })`,
    );
  }
}
